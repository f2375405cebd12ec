"""`defuse export-sessions` and `defuse import`: moving sessions between machines without duplicates."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest

from simulator.library import Library, protocol
from simulator.session import Recorder
from simulator.store import Store


@lru_cache(maxsize=None)
def bundled(scenario_id: str = "billing_double_charge"):
    """A bundled scenario, loaded once for the module (scenarios are immutable values)."""
    return Library().get(scenario_id).scenario


DATA = Path(__file__).parent / "data" / "import"
BY_THE_BOOK = ["breathe_listen", "keep_listening", "paraphrase", "apologize", "ask_cause", "found_it", "confirm", "process", "follow_up", "log_it", "think_back"]


def recorder(store, trainee) -> Recorder:
    scenario = bundled()
    return Recorder(scenario, protocol(scenario.protocol), trainee=trainee, store=store)


def play(store, trainee, choices, finish=True) -> Recorder:
    rec = recorder(store, trainee)
    for c in choices:
        rec.choose(c.rstrip("!"), interrupted=c.endswith("!"))
    if finish:
        rec.finish()
    return rec


def export(cli, db: Path, out: Path, *filters: str) -> dict:
    status, stdout, err = cli("export-sessions", "--db", str(db), "-o", str(out), *filters)
    assert status == 0, err
    assert stdout == "" and "wrote" in err
    return json.loads(out.read_text(encoding="utf-8"))


def do_import(cli, db: Path, *files: Path) -> tuple[int, dict, str]:
    status, out, err = cli("import", "--db", str(db), "--json", *map(str, files))
    return status, json.loads(out), err


def snapshot(db: Path) -> list[dict]:
    with Store(db) as store:
        out = []
        for s in store.find():
            d = s.to_dict()
            d["score"], d["turn_times"] = s.score, list(s.turn_times)
            out.append(d)
        return out


def test_export_then_import_reproduces_the_sessions_and_a_second_import_adds_nothing(cli, tmp_path):
    laptop, desk = tmp_path / "laptop.sqlite3", tmp_path / "desk.sqlite3"
    with Store(laptop) as store:
        play(store, "Amira", BY_THE_BOOK)
        play(store, "Amira", ["quick_see!", "her_side"])
    doc = export(cli, laptop, tmp_path / "amira.json")
    assert doc["format"] == "defuse-sessions" and doc["version"] == 1 and len(doc["sessions"]) == 2

    status, counts, _ = do_import(cli, desk, tmp_path / "amira.json")
    assert status == 0 and (counts["imported"], counts["updated"], counts["skipped"]) == (2, 0, 0)
    assert snapshot(desk) == snapshot(laptop)

    status, counts, _ = do_import(cli, desk, tmp_path / "amira.json", tmp_path / "amira.json")
    assert status == 0 and (counts["imported"], counts["updated"], counts["skipped"]) == (0, 0, 4)
    assert snapshot(desk) == snapshot(laptop)


def test_a_class_merges_from_several_laptops(cli, tmp_path):
    files = []
    for name in ("Amira", "Ben", "Chloe"):
        db = tmp_path / f"{name}.sqlite3"
        with Store(db) as store:
            play(store, name, BY_THE_BOOK)
        files.append(tmp_path / f"{name}.json")
        export(cli, db, files[-1])
    desk = tmp_path / "desk.sqlite3"
    with Store(desk) as store:
        play(store, "Instructor", BY_THE_BOOK[:3])
    status, counts, _ = do_import(cli, desk, *files)
    assert status == 0 and counts["imported"] == 3
    assert sorted(d["trainee"] for d in snapshot(desk)) == ["Amira", "Ben", "Chloe", "Instructor"]


def test_the_more_complete_copy_wins(cli, tmp_path):
    """An export taken mid-session, then the finished session: the finished copy replaces it, never the other way."""
    laptop, desk = tmp_path / "laptop.sqlite3", tmp_path / "desk.sqlite3"
    with Store(laptop) as store:
        rec = play(store, "Amira", BY_THE_BOOK[:3], finish=False)
        export(cli, laptop, tmp_path / "early.json")
        for c in BY_THE_BOOK[3:]:
            rec.choose(c)
    export(cli, laptop, tmp_path / "late.json")

    status, counts, _ = do_import(cli, desk, tmp_path / "early.json")
    assert counts["imported"] == 1
    assert len(snapshot(desk)[0]["turns"]) == 3 and snapshot(desk)[0]["complete"] is False

    status, counts, _ = do_import(cli, desk, tmp_path / "late.json")
    assert (counts["imported"], counts["updated"]) == (0, 1)
    assert snapshot(desk) == snapshot(laptop)

    status, counts, _ = do_import(cli, desk, tmp_path / "early.json")
    assert counts["skipped"] == 1
    assert snapshot(desk) == snapshot(laptop)


def test_export_filters(cli, tmp_path):
    db = tmp_path / "s.sqlite3"
    with Store(db) as store:
        play(store, "Amira", BY_THE_BOOK)
        play(store, "Ben", BY_THE_BOOK)
    doc = export(cli, db, tmp_path / "ben.json", "--trainee", "Ben")
    assert [s["trainee"] for s in doc["sessions"]] == ["Ben"]


@pytest.mark.parametrize("name", sorted(p.stem for p in DATA.glob("*.json")))
def test_a_bad_file_gets_one_clear_line_and_the_good_ones_still_import(cli, tmp_path, name):
    laptop = tmp_path / "laptop.sqlite3"
    with Store(laptop) as store:
        play(store, "Amira", BY_THE_BOOK)
    good = tmp_path / "good.json"
    export(cli, laptop, good)
    bad = DATA / f"{name}.json"
    expected = (DATA / f"{name}.expected").read_text(encoding="utf-8").replace("{path}", str(bad))
    status, counts, err = do_import(cli, tmp_path / "desk.sqlite3", bad, good)
    assert status == 1
    assert err == expected
    assert counts["imported"] == 1 and counts["errors"] == [line.removeprefix("defuse: ") for line in expected.splitlines()]


def test_a_missing_file_is_a_clear_error(cli, tmp_path):
    status, out, err = cli("import", "--db", str(tmp_path / "d.sqlite3"), str(tmp_path / "nope.json"))
    assert status == 1 and "nope.json" in err and "does not exist" in err and "Traceback" not in err
