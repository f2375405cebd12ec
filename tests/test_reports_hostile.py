"""One bad row never takes a report down: it is named and left out, and the rest is written.
Text is never markup; sheet names fit Excel's count; the PDF never drops a name it cannot draw."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from simulator.library import protocols
from simulator.store import Store

from playthrough import BY_THE_BOOK, play

DATA = Path(__file__).parent / "data" / "reports"
GOOD = ["Amira", "😀 Alexandra Konstantinopoulou-Smith", "😀 Alexandra Konstantinopoulou-Smythe"]
BAD = ["Unknown", "Infinite"]
REPAIRED = ["NaN parts", "No turn", "Mathtext"]


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "bad.sqlite3"
    with Store(path) as store:
        for name in GOOD + BAD + REPAIRED:
            play(store, name, BY_THE_BOOK[:6] if name == "No turn" else BY_THE_BOOK)
    with sqlite3.connect(path) as conn:
        conn.executescript((DATA / "bad_rows.sql").read_text(encoding="utf-8"))
    return path


def expected(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        ids = dict(conn.execute("SELECT trainee, id FROM sessions"))
    text = (DATA / "bad_rows.expected").read_text(encoding="utf-8")
    return text.replace("{installed}", ", ".join(sorted(protocols()))).format(**{k: ids[k] for k in BAD})


@pytest.mark.parametrize("fmt", ["csv", "json", "html", "xlsx", "xapi"])
def test_bad_rows_are_left_out_and_named_and_the_rest_is_written(cli, db, tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    status, stdout, err = cli("report", "--db", str(db), "--format", fmt, "-o", str(out))
    assert status == 1
    lines = err.splitlines()
    assert lines[0].startswith(f"wrote {out}: ") and sorted(lines[1:]) == sorted(expected(db).splitlines())
    assert out.exists() and "Traceback" not in err
    if fmt == "json":
        doc = json.loads(out.read_text(encoding="utf-8"))
        assert sorted(s["trainee"] for s in doc["sessions"]) == sorted(GOOD + REPAIRED)
    if fmt == "html":
        html = out.read_text(encoding="utf-8")
        assert "$\\undefinedmacro$" in html  # shown as text


def test_the_listing_leaves_out_the_bad_rows_too(cli, db):
    status, out, err = cli("sessions", "--db", str(db), "--json")
    assert status == 1 and sorted(err.splitlines()) == sorted(expected(db).splitlines())
    assert sorted(d["trainee"] for d in json.loads(out)) == sorted(GOOD + REPAIRED)


def test_a_saved_score_that_does_not_add_up_is_scored_again(db):
    with Store(db) as store:
        by_name = {s.trainee: s for s in store.find()}
    assert by_name["NaN parts"].score is None and by_name["No turn"].score is None


def test_sheet_names_count_utf16_units_and_stay_unique():
    from simulator.reports.xlsx import sheet_names

    names = sheet_names(GOOD[1:] + ["x" * 40, "x" * 40 + "y"])
    assert all(len(n.encode("utf-16-le")) // 2 <= 31 for n in names.values())
    assert len(set(n.lower() for n in names.values())) == 4
    assert names[GOOD[1]] == "😀 Alexandra Konstantinopoulou-" and names[GOOD[2]] == "😀 Alexandra Konstantinopou (2)"


def test_a_pdf_refuses_a_name_its_font_cannot_draw(cli, tmp_path):
    db = tmp_path / "cjk.sqlite3"
    with Store(db) as store:
        play(store, "陈伟", BY_THE_BOOK)
    status, out, err = cli("report", "--db", str(db), "--format", "pdf", "--trainee", "陈伟", "-o", str(tmp_path / "r.pdf"))
    assert status == 1 and not (tmp_path / "r.pdf").exists()
    assert err == "defuse: the PDF font (DejaVu Sans) has no letters for '伟陈' in 'Defuse training report: 陈伟': the PDF would leave them out; use --format html, which shows every script\n"


def test_class_totals_leave_out_a_session_whose_anger_is_not_finite(cli, tmp_path):
    # every session scored, so the class report is summed in SQLite: the infinite one must not
    # reach a sum, a mean or a trainee's trend, and is named like in the per-session path
    from simulator.library import protocol
    from simulator.reports.classview import build

    path = tmp_path / "inf.sqlite3"
    with Store(path) as store:
        for name in ["Amira", "Bo", "Infinite"]:
            play(store, name, BY_THE_BOOK)
        play(store, "Bo", BY_THE_BOOK[:4])
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE sessions SET anger_peak = 9e999, anger_end = 9e999 WHERE trainee = 'Infinite'")
        bad_id = conn.execute("SELECT id FROM sessions WHERE trainee = 'Infinite'").fetchone()[0]
        want_n, want_total = conn.execute("SELECT COUNT(*), SUM(total) FROM sessions WHERE trainee != 'Infinite' AND complete = 1").fetchone()
    problems: list[str] = []
    with Store(path) as store:
        report = build(store, protocol, problems=problems)
    assert problems == [f"session {bad_id} (Infinite, billing_double_charge) left out of the report: an anger value is not a finite number"]
    assert report.sessions == want_n == 2 and report.sum_total == pytest.approx(want_total) and report.unfinished_count == 1
    assert sorted(t.name for t in report.trainees) == ["Amira", "Bo"]
    assert all(w["mean"] == w["mean"] and abs(w["mean"]) <= 100 for w in report.weeks)
    out = tmp_path / "r.html"
    status, _, err = cli("report", "--db", str(path), "--format", "html", "-o", str(out))
    assert status == 1 and out.exists()
    assert err.splitlines()[1:] == ["defuse: " + problems[0], "defuse: 1 session(s) left out; everything else was written"]
    assert "inf" not in out.read_text(encoding="utf-8").lower().replace("info", "")
