"""`defuse sessions`: the list of recorded sessions with their scores."""
from __future__ import annotations

import json

import pytest

from simulator.store import Store

from playthrough import BY_THE_BOOK, play








@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite3"
    with Store(path) as store:
        play(store, "Amira", BY_THE_BOOK)
        play(store, "Ben\x1b[31m", ["quick_see!", "her_side"])
        play(store, "Amira", BY_THE_BOOK[:2], finish=False)
    return path


def test_json_lists_every_session_with_its_score(cli, db):
    status, out, err = cli("sessions", "--db", str(db), "--json")
    assert status == 0 and err == ""
    items = json.loads(out)
    assert len(items) == 3
    with Store(db) as store:
        stored = {s.id: s for s in store.find()}
    for d in items:
        s = stored[d["id"]]
        assert d["trainee"] == s.trainee and d["turns"] == len(s.turns) and d["complete"] == s.complete
        if s.score:
            assert d["total"] == s.score["total"] and d["passed"] == s.score["passed"]
    done = [d for d in items if d["trainee"] == "Amira" and d["complete"]]
    assert done[0]["passed"] is True and done[0]["outcome"] == "resolved"


def test_table_is_readable_and_control_characters_are_not_printed(cli, db):
    status, out, _ = cli("sessions", "--db", str(db))
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["session", "started", "(UTC)"]
    assert len(lines) == 1 + 3 + 1 and lines[-1] == "3 session(s), 1 passed"
    assert "\x1b" not in out
    assert sum("PASS" in line for line in lines) == 1 and sum("incomplete" in line for line in lines) == 1


def test_filters_apply(cli, db):
    def listed(*f):
        return [d["trainee"] for d in json.loads(cli("sessions", "--db", str(db), "--json", *f)[1])]

    assert listed("--trainee", "Amira") == ["Amira", "Amira"]
    assert sorted(listed("--failed")) == ["Amira", "Ben\x1b[31m"]  # the unfinished session cannot have passed
    assert listed("--passed") == ["Amira"]
    assert listed("--incomplete") == ["Amira"]
    assert listed("--since", "2999-01-01") == []


def test_protocol_rescores_the_listing(cli, db):
    items = json.loads(cli("sessions", "--db", str(db), "--json", "--protocol", "five_steps")[1])
    assert {d["protocol"] for d in items} == {"five_steps"}


def test_empty_store_says_so(cli, tmp_path):
    status, out, _ = cli("sessions", "--db", str(tmp_path / "none.sqlite3"))
    assert status == 0 and out.strip() == "no sessions match"
    status, out, _ = cli("sessions", "--db", str(tmp_path / "none.sqlite3"), "--json")
    assert json.loads(out) == []


def test_a_file_that_is_not_a_database_is_one_clear_error(cli, tmp_path):
    bad = tmp_path / "notes.sqlite3"
    bad.write_text("these are my notes, not a database\n" * 20)
    status, out, err = cli("sessions", "--db", str(bad))
    assert status == 1 and out == "" and "not a Defuse session database" in err and "Traceback" not in err


def test_listing_from_saved_scores_equals_listing_from_rescoring_against_the_same_protocol(cli, db):
    """The fast listing (summary columns) and the full one (every session re-scored) agree."""
    fast = json.loads(cli("sessions", "--db", str(db), "--json")[1])
    full = json.loads(cli("sessions", "--db", str(db), "--json", "--protocol", "ten_step")[1])
    assert fast == full
