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
