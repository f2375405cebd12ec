"""Import under attack: forged scores and verdicts, contradicting copies, concurrent imports, and
valid exports mutated field by field. Nothing forged is kept, nothing finished is changed, and
every problem is one line."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import score
from simulator.library import protocol
from simulator.store import Store

from playthrough import BY_THE_BOOK, play


def export(cli, db: Path, out: Path) -> dict:
    status, _, err = cli("export-sessions", "--db", str(db), "-o", str(out))
    assert status == 0, err
    return json.loads(out.read_text(encoding="utf-8"))


def write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def rows(db: Path) -> list[tuple]:
    with Store(db) as store:
        return [(s.id, s.complete, s.outcome, len(s.turns), s.total, s.passed, json.dumps(s.score, sort_keys=True)) for s in store.find()]


def test_a_forged_score_and_verdict_are_replaced_by_the_score_of_the_turns(cli, tmp_path):
    laptop = tmp_path / "laptop.sqlite3"
    with Store(laptop) as store:
        play(store, "Ben", ["her_side"])  # the customer hangs up: a failed session
    doc = export(cli, laptop, tmp_path / "x.json")
    s = doc["sessions"][0]
    assert s["passed"] is False
    s["total"], s["passed"] = 1e308, True
    s["score"]["total"], s["score"]["passed"] = 100.0, True
    desk = tmp_path / "desk.sqlite3"
    status, out, err = cli("import", "--db", str(desk), str(write(tmp_path / "forged.json", doc)))
    assert status == 0, err
    with Store(desk) as store:
        (got,) = store.find()
        expected = score(got.transcript(), protocol(got.protocol)).to_dict()
        assert got.score == expected and got.passed is False and got.total == expected["total"]
        (summary,) = store.summaries()
        assert summary.passed is False and summary.total == expected["total"]
    status, out, _ = cli("sessions", "--db", str(desk), "--passed", "--json")
    assert json.loads(out) == []


def test_a_finished_session_is_never_replaced_and_the_conflict_is_reported(cli, tmp_path):
    """The attack that turned a failed `customer_left 40.0` into `resolved 100.0 PASS`."""
    db = tmp_path / "s.sqlite3"
    with Store(db) as store:
        play(store, "Ben", ["her_side"])
    before = rows(db)
    other = tmp_path / "other.sqlite3"
    with Store(other) as store:
        play(store, "Ben", BY_THE_BOOK)
    forged = export(cli, other, tmp_path / "o.json")
    mine = export(cli, db, tmp_path / "m.json")["sessions"][0]
    longer = forged["sessions"][0]
    for key in ("id", "trainee", "scenario", "revision", "protocol", "started_at"):
        longer[key] = mine[key]
    longer["turns"][0] = mine["turns"][0] | {"index": 1}  # the same first turn, then more
    path = write(tmp_path / "forged.json", forged)
    status, out, err = cli("import", "--db", str(db), "--json", str(path))
    assert status == 1
    assert err == f'defuse: {path}: session 1 ("{mine["id"]}"): differs from the copy here (finished); kept ours, skipped this one\n'
    assert json.loads(out)["conflicts"] == 1
    assert rows(db) == before


def test_an_unfinished_session_is_extended_only_by_a_copy_that_continues_it(cli, tmp_path):
    laptop = tmp_path / "laptop.sqlite3"
    with Store(laptop) as store:
        rec = play(store, "Amira", BY_THE_BOOK[:3], finish=False)
        early = export(cli, laptop, tmp_path / "early.json")
        for c in BY_THE_BOOK[3:]:
            rec.choose(c)
    late = export(cli, laptop, tmp_path / "late.json")
    desk = tmp_path / "desk.sqlite3"
    assert cli("import", "--db", str(desk), str(tmp_path / "early.json"))[0] == 0
    # a copy whose second turn differs from ours is not a continuation of it
    branched = copy.deepcopy(late)
    branched["sessions"][0]["turns"][1]["choice"] = "calm_down"
    status, _, err = cli("import", "--db", str(desk), str(write(tmp_path / "branched.json", branched)))
    assert status == 1 and "differs from the copy here; kept ours" in err
    assert rows(desk)[0][3] == 3
    assert cli("import", "--db", str(desk), str(tmp_path / "late.json"))[0] == 0
    assert rows(desk) == rows(laptop)
    del early


def test_a_bad_session_late_in_a_file_leaves_nothing_of_the_file_written(cli, tmp_path):
    laptop = tmp_path / "laptop.sqlite3"
    with Store(laptop) as store:
        for name in ("A", "B", "C"):
            play(store, name, BY_THE_BOOK)
    doc = export(cli, laptop, tmp_path / "x.json")
    doc["sessions"][2]["turns"][4]["index"] = 4
    path = write(tmp_path / "bad.json", doc)
    desk = tmp_path / "desk.sqlite3"
    status, out, err = cli("import", "--db", str(desk), str(path))
    sid = doc["sessions"][2]["id"]
    assert status == 1
    assert err == (
        f'defuse: {path}: session 3 ("{sid}"): turns.4.index: is 4, expected 5 (turns are numbered 1, 2, 3, ... in order)\n'
        f"defuse: {path}: nothing imported from this file\n"
    )
    assert rows(desk) == []


@pytest.mark.slow
def test_two_imports_at_once_both_succeed_without_duplicates(tmp_path):
    laptop = tmp_path / "laptop.sqlite3"
    with Store(laptop) as store:
        for i in range(30):
            play(store, f"T{i}", BY_THE_BOOK[:4])
    subprocess.run([sys.executable, "-m", "simulator.cli", "export-sessions", "--db", str(laptop), "-o", str(tmp_path / "x.json")], check=True)
    desk = tmp_path / "desk.sqlite3"
    cmd = [sys.executable, "-m", "simulator.cli", "import", "--db", str(desk), "--json", str(tmp_path / "x.json")]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1] for r in results]
    docs = [json.loads(r[0]) for r in results]
    assert sorted((d["imported"], d["skipped"]) for d in docs) == [(0, 30), (30, 0)]
    assert len(rows(desk)) == 30


# ---------------------------------------------------------------- fuzzing: valid exports mutated field by field

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "\ud800", "=1+1", "\x1b[2J", "resolved", "listen", "2026-03-02T10:00:00Z", "ten_step"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _paths(doc, prefix=()):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


_BASE: dict = {}


def _base(tmp_root: Path) -> dict:
    if not _BASE:
        import io

        from simulator.reports.exchange import write_export

        out = io.StringIO()
        with Store(tmp_root / "fuzz-base.sqlite3") as store:
            play(store, "Amira", BY_THE_BOOK)
            play(store, "Ben", BY_THE_BOOK[:3], finish=False)
            write_export(store.find(), out, exported="2026-03-02T10:00:00Z")
        _BASE.update(json.loads(out.getvalue()))
    return copy.deepcopy(_BASE)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
@pytest.mark.slow
def test_fuzz_import_never_a_traceback_never_a_finished_session_changed(cli, tmp_path, data):
    doc = _base(tmp_path)
    paths = sorted(set(_paths(doc["sessions"], ("sessions",))), key=str)
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(paths))
        target = doc
        try:
            for key in where[:-1]:
                target = target[key]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this part
        if data.draw(st.booleans()) and isinstance(target, dict):
            target.pop(where[-1], None)
        else:
            try:
                target[where[-1]] = data.draw(_VALUES)
            except (IndexError, TypeError):
                pass
    db = tmp_path / "fuzz.sqlite3"
    if not db.exists():
        with Store(db) as store:
            play(store, "Amira", BY_THE_BOOK)  # a finished session of our own, with another id
    before = rows(db)
    path = tmp_path / "mutated.json"
    path.write_text(json.dumps(doc, ensure_ascii=True), encoding="utf-8")
    status, out, err = cli("import", "--db", str(db), "--json", str(path))
    assert status in (0, 1)
    assert "Traceback" not in err and all(line.startswith("defuse: ") for line in err.splitlines())
    json.loads(out)
    after = rows(db)
    finished_before = [r for r in before if r[1]]
    assert all(r in after for r in finished_before)  # a finished session is never changed
    with Store(db) as store:
        for s in store.find():
            # whatever got in is scored from its own turns, against the protocol it names
            assert s.score == score(s.transcript(), protocol(s.protocol)).to_dict() or s.id in {r[0] for r in before}
