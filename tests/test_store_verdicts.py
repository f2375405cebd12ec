"""A store whose `passed`/`total` columns contradict the saved score (an older version's file, or an
edited one) is repaired from the score when it is opened (schema 5 -> 6), says so on one line, and
from then on the listing, the CSV, JSON `--passed` and xAPI give every session the same verdict:
the one its turns earn."""
from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

from scoring import score
from simulator.library import protocol
from simulator.store import SCHEMA_VERSION, Store

from playthrough import BY_THE_BOOK, play

DATA = Path(__file__).parent / "data" / "store"
FAILED = ["her_side"]  # the customer hangs up: a failed session
PLAYED = {
    "Forged pass": FAILED,
    "Hidden pass": BY_THE_BOOK,
    "Negative": BY_THE_BOOK,
    "Huge": BY_THE_BOOK,
    "Infinite": BY_THE_BOOK,
    "Word": BY_THE_BOOK,
    "Bad score": BY_THE_BOOK,
    "Honest": BY_THE_BOOK,  # left as played: not repaired
    "Honest fail": FAILED,
}
SESSION = "https://defuse.example/xapi/extensions/session"


TRUTH: dict[Path, dict[str, tuple[bool, float]]] = {}


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "old.sqlite3"
    with Store(path) as store:
        for name, choices in PLAYED.items():
            play(store, name, choices)
        # each trainee's verdict and total as their turns earn them (scored afresh), before the damage
        TRUTH[path] = {s.trainee: (r.passed, r.total) for s in store.find() for r in [score(s.transcript(), protocol(s.protocol))]}
    with sqlite3.connect(path) as conn:
        conn.executescript((DATA / "contradicting_verdicts.sql").read_text(encoding="utf-8"))
    yield path
    del TRUTH[path]


def earned(db: Path) -> dict[str, tuple[bool, float]]:
    return TRUTH[db]


def test_the_contradicting_rows_are_what_the_test_says(db):
    """The file as built: schema 5, with the contradictions in its columns."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 5
        cols = dict(con.execute("SELECT trainee, passed FROM sessions"))
        totals = dict(con.execute("SELECT trainee, total FROM sessions"))
    finally:
        con.close()
    assert cols["Forged pass"] == 1 and cols["Hidden pass"] == 0 and cols["Word"] == "yes"
    assert totals["Negative"] == -5 and totals["Huge"] == 1e308 and totals["Infinite"] == float("inf")


def test_opening_repairs_the_verdicts_from_the_saved_score_and_says_so_once(cli, db):
    truth = earned(db)
    assert truth["Forged pass"][0] is False and truth["Hidden pass"][0] is True
    status, out, err = cli("sessions", "--db", str(db), "--json")
    assert status == 0
    assert err == (DATA / "contradicting_verdicts.expected").read_text(encoding="utf-8").format(db=db)
    listed = {d["trainee"]: (d["passed"], d["total"]) for d in json.loads(out)}
    assert {k: v[0] for k, v in listed.items()} == {k: v[0] for k, v in truth.items()}
    for name, (passed, total) in listed.items():
        assert total == pytest.approx(truth[name][1]), name
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
        columns = {t: (p, tot) for t, p, tot in con.execute("SELECT trainee, passed, total FROM sessions")}
    finally:
        con.close()
    # every column now mirrors its saved score; a score that did not add up left none to mirror
    assert columns["Bad score"] == (None, None)
    for name, (passed, total) in columns.items():
        if name != "Bad score":
            assert (bool(passed), total) == (truth[name][0], pytest.approx(truth[name][1])), name
    # opened again: nothing more to repair, nothing said
    status, _, err = cli("sessions", "--db", str(db))
    assert status == 0 and err == ""


def test_after_opening_the_listing_csv_json_passed_and_xapi_agree(cli, db, tmp_path):
    truth = {name: passed for name, (passed, _) in earned(db).items()}
    passers = sorted(name for name, passed in truth.items() if passed)
    assert "Forged pass" not in passers and "Hidden pass" in passers and "Bad score" in passers

    status, out, _ = cli("sessions", "--db", str(db))  # the first command opens (and repairs) the store
    assert status == 0
    assert out.splitlines()[-1] == f"{len(PLAYED)} session(s), {len(passers)} passed"
    for line in out.splitlines()[1:-1]:
        name = next(n for n in sorted(PLAYED, key=len, reverse=True) if f" {n} " in line)
        assert line.rstrip().endswith("PASS" if truth[name] else "FAIL"), line

    status, out, _ = cli("sessions", "--db", str(db), "--passed", "--json")
    assert status == 0 and sorted(d["trainee"] for d in json.loads(out)) == passers
    status, out, _ = cli("sessions", "--db", str(db), "--failed", "--json")
    assert status == 0 and sorted(d["trainee"] for d in json.loads(out)) == sorted(set(PLAYED) - set(passers))

    sheet = tmp_path / "r.csv"
    status, _, err = cli("report", "--db", str(db), "--format", "csv", "-o", str(sheet))
    assert status == 0, err
    with sheet.open(encoding="utf-8", newline="") as f:
        got = {r["trainee"]: r["passed"] for r in csv.DictReader(f)}
    assert got == {name: "true" if passed else "false" for name, passed in truth.items()}

    statements = tmp_path / "x.json"
    status, _, err = cli("report", "--db", str(db), "--format", "xapi", "-o", str(statements))
    assert status == 0, err
    with Store(db) as store:
        trainee_of = {s.id: s.trainee for s in store.find(with_turns=False)}
    verdicts = {}
    for s in json.loads(statements.read_text(encoding="utf-8")):
        verb = s["verb"]["id"].rsplit("/", 1)[-1]
        if verb in ("passed", "failed"):
            verdicts[trainee_of[s["context"]["extensions"][SESSION]]] = (verb == "passed", s["result"]["success"])
    assert verdicts == {name: (passed, passed) for name, passed in truth.items()}


def test_a_store_without_contradictions_is_upgraded_silently(cli, tmp_path):
    path = tmp_path / "fine.sqlite3"
    with Store(path) as store:
        play(store, "Amira", BY_THE_BOOK)
        play(store, "Ben", FAILED)
        play(store, "Chloe", ["breathe_listen"], finish=False)
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 5")
    con.commit()
    con.close()
    status, out, err = cli("sessions", "--db", str(path), "--json")
    assert status == 0 and err == "" and len(json.loads(out)) == 3
    with Store(path) as store:
        assert store.repaired == 0 and store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
