"""Reports in every format, built from sessions played through the Recorder."""
from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from scoring import score
from simulator.reports.rows import COLUMNS
from simulator.reports.xlsx import sheet_names
from simulator.library import Library, protocol
from simulator.store import Store

from playthrough import BY_THE_BOOK, play




DATA = Path(__file__).parent / "data" / "reports"
HOSTILE = ["quick_see!", "her_side"]
FORMULA = '=HYPERLINK("http://x","y")'
SCRIPT = "<script>alert(1)</script>"




@pytest.fixture
def db(tmp_path) -> Path:
    """A class: a pass, a fail by a trainee named like a formula, a hostile name, an unfinished session."""
    path = tmp_path / "class.sqlite3"
    with Store(path) as store:
        play(store, "Amira", BY_THE_BOOK)
        play(store, FORMULA, HOSTILE)
        play(store, SCRIPT, BY_THE_BOOK)
        play(store, "Amira", ["breathe_listen", "keep_listening"], finish=False)
    return path


def report(cli, db: Path, tmp_path: Path, fmt: str, *extra: str) -> Path:
    out = tmp_path / f"out.{fmt}"
    status, stdout, err = cli("report", "--db", str(db), "--format", fmt, "-o", str(out), *extra)
    assert status == 0, err
    assert stdout == ""
    return out


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------- csv


def test_csv_has_one_row_per_session_with_every_column(cli, db, tmp_path):
    rows = read_csv(report(cli, db, tmp_path, "csv"))
    assert len(rows) == 4
    assert list(rows[0].keys()) == list(COLUMNS)
    with Store(db) as store:
        stored = {s.id: s for s in store.find()}
    for r in rows:
        s = stored[r["session"]]
        # an unfinished session has no saved score: the report scores it as it stands
        expected = s.score or score(s.transcript(), protocol(s.protocol)).to_dict()
        assert r["scenario"] == "billing_double_charge" and r["revision"] == str(Library().get("billing_double_charge").scenario.revision)
        assert float(r["total"]) == pytest.approx(expected["total"])
        assert r["passed"] == ("true" if expected["passed"] else "false")
        assert r["sequence"] == " > ".join(expected["sequence"])
        assert int(r["turns"]) == len(s.turns)
        curve = [s.anger_start] + [t.anger_after for t in s.turns]
        assert float(r["anger_peak"]) == pytest.approx(max(curve), abs=0.01)
        assert float(r["anger_start"]) == pytest.approx(curve[0], abs=0.01)
    best = next(r for r in rows if r["trainee"] == "Amira" and r["complete"] == "true")
    assert best["passed"] == "true" and float(best["total"]) >= 90 and best["outcome"] == "resolved"
    assert best["sequence"].startswith("stay_calm > listen")
    unfinished = next(r for r in rows if r["complete"] == "false")
    assert unfinished["outcome"] == "incomplete" and unfinished["turns"] == "2"


def test_rows_from_store_summaries_equal_rows_from_full_sessions(db):
    """The fast path (score parts kept as columns, turns aggregated in SQL) gives the very same cells."""
    from simulator.reports.rows import judged, row, table

    with Store(db) as store:
        fast = list(table(store, protocol))
        full = [row(j) for j in judged(store.find(), protocol)]
        assert sum(1 for s in store.summaries() if s.scored) == 3  # the unfinished one is read in full
    assert fast == full


def test_csv_neutralises_formulas(cli, db, tmp_path):
    path = report(cli, db, tmp_path, "csv")
    rows = read_csv(path)
    names = {r["trainee"] for r in rows}
    assert "'" + FORMULA in names
    assert FORMULA not in names
    hostile = next(r for r in rows if r["trainee"] == "'" + FORMULA)
    assert hostile["interruptions"] == "1" and hostile["passed"] == "false"
    # no cell of the file starts with a formula character
    for r in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
        assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in r), r


def test_protocol_option_rescores_every_session(cli, db, tmp_path):
    rows = read_csv(report(cli, db, tmp_path, "csv", "--protocol", "five_steps"))
    other = protocol("five_steps")
    with Store(db) as store:
        stored = {s.id: s for s in store.find()}
    for r in rows:
        assert r["protocol"] == "five_steps"
        assert float(r["total"]) == pytest.approx(score(stored[r["session"]].transcript(), other).total)


def test_unknown_protocol_is_one_clear_error(cli, db, tmp_path):
    status, out, err = cli("report", "--db", str(db), "--format", "csv", "-o", str(tmp_path / "x.csv"), "--protocol", "nope")
    assert status == 1 and "nope" in err and "Traceback" not in err
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.csv.part").exists()


def test_unwritable_output_is_one_clear_error(cli, db, tmp_path):
    status, out, err = cli("report", "--db", str(db), "--format", "csv", "-o", str(tmp_path / "missing" / "x.csv"))
    assert status == 1 and err.startswith("defuse: cannot write") and "Traceback" not in err


# ---------------------------------------------------------------- filters


def ids_of(cli, db, tmp_path, *filters) -> list[str]:
    return [r["trainee"] for r in read_csv(report(cli, db, tmp_path, "csv", *filters))]


def test_filters(cli, db, tmp_path):
    assert sorted(ids_of(cli, db, tmp_path, "--trainee", "Amira")) == ["Amira", "Amira"]
    assert sorted(ids_of(cli, db, tmp_path, "--passed")) == sorted(["Amira", SCRIPT])
    assert sorted(ids_of(cli, db, tmp_path, "--failed")) == sorted(["'" + FORMULA, "Amira"])
    assert ids_of(cli, db, tmp_path, "--incomplete") == ["Amira"]
    assert ids_of(cli, db, tmp_path, "--scenario", "no_such") == []
    assert len(ids_of(cli, db, tmp_path, "--scenario", "billing_double_charge")) == 4


def test_date_filters_are_inclusive_days(cli, db, tmp_path):
    with Store(db) as store:
        sessions = list(store.find())
        days = ["2026-03-01T23:59:59Z", "2026-03-02T00:00:00Z", "2026-03-02T12:30:00Z", "2026-03-03T00:00:00Z"]
        with store.conn:
            for s, day in zip(sessions, days):
                store.conn.execute("UPDATE sessions SET started_at=? WHERE id=?", (day, s.id))
    starts = lambda *f: sorted(r["started_at"] for r in read_csv(report(cli, db, tmp_path, "csv", *f)))  # noqa: E731
    assert starts("--since", "2026-03-02", "--until", "2026-03-02") == days[1:3]
    assert starts("--since", "2026-03-02") == days[1:]
    assert starts("--until", "2026-03-01") == days[:1]
    with pytest.raises(SystemExit) as e:
        cli("report", "--db", str(db), "--format", "csv", "-o", str(tmp_path / "x.csv"), "--since", "March")
    assert e.value.code == 2


def test_passed_and_failed_exclude_each_other(cli, db, tmp_path):
    with pytest.raises(SystemExit) as e:
        cli("sessions", "--db", str(db), "--passed", "--failed")
    assert e.value.code == 2


# ---------------------------------------------------------------- xlsx


def xlsx_parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")}


def test_xlsx_sheets_and_neutralised_strings(cli, db, tmp_path):
    parts = xlsx_parts(report(cli, db, tmp_path, "xlsx"))
    sheets = [html.unescape(n) for n in re.findall(r'<sheet name="([^"]*)"', parts["xl/workbook.xml"])]
    assert sheets[0] == "Sessions" and sheets[-3:] == ["Grid", "Progress", "Feedback"]
    assert len(sheets) == 4 + 3  # three trainees
    for name in sheets:
        assert 0 < len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name)
    assert "Amira" in sheets
    # strings stay strings: no formula cells anywhere, and the formula text is quoted
    for name, xml in parts.items():
        assert "<f>" not in xml and "<f " not in xml, name
    shared = parts["xl/sharedStrings.xml"]
    assert "&apos;=HYPERLINK(" in shared or "'=HYPERLINK(" in shared
    assert "<t>=HYPERLINK" not in shared
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shared
    # the feedback sheet lists the most frequent feedback lines with their counts
    feedback_sheet = parts[f"xl/worksheets/sheet{len(sheets)}.xml"]
    assert feedback_sheet.count("<row ") > 2


def test_sheet_names_are_valid_and_unique_for_hostile_names():
    names = sheet_names(["a/b", "a:b", "x" * 40, "x" * 40 + "y", "Sessions", "[]*?", "'quoted'", ""])
    values = list(names.values())
    assert len(set(v.lower() for v in values)) == len(values)
    for v in values:
        assert 0 < len(v) <= 31 and not re.search(r"[\[\]:*?/\\]", v) and not v.startswith("'")
    assert names["Sessions"].lower() != "sessions"


# ---------------------------------------------------------------- json


def test_json_holds_full_sessions_and_scores(cli, db, tmp_path):
    doc = json.loads(report(cli, db, tmp_path, "json", "--trainee", "Amira").read_text(encoding="utf-8"))
    assert doc["format"] == "defuse-report" and doc["version"] == 1
    assert doc["filters"]["trainee"] == "Amira"
    assert len(doc["sessions"]) == 2
    full = next(s for s in doc["sessions"] if s["complete"])
    assert [t["choice"] for t in full["turns"]] == BY_THE_BOOK
    assert len(full["turn_times"]) == len(BY_THE_BOOK)
    assert full["score"]["passed"] is True and set(full["score"]["components"]) == {"coverage", "order", "conduct", "outcome"}
    assert full["score"]["steps"] and "feedback" in full["score"]


def test_json_to_stdout_is_one_document(cli, db):
    status, out, err = cli("report", "--db", str(db), "--format", "json", "-o", "-")
    assert status == 0
    assert len(json.loads(out)["sessions"]) == 4


# ---------------------------------------------------------------- html


def test_html_is_self_contained_and_escaped(cli, tmp_path):
    lib = Library([DATA])
    path = tmp_path / "class.sqlite3"
    with Store(path) as store:
        play(store, SCRIPT, BY_THE_BOOK, scenario=lib.get("hostile_markup").scenario)
        play(store, "Amira", HOSTILE)
    page = report(cli, path, tmp_path, "html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the trainee
    assert "&lt;script&gt;alert(&#39;line&#39;)&lt;/script&gt;" in page  # the customer's line, in the transcript
    assert "&lt;b&gt;twice&lt;/b&gt;" in page and "<b>twice" not in page  # the scenario title
    # nothing is fetched: no external script, style, font or image
    assert not re.search(r"<link|<img|<iframe|@import|url\((?!#)|src=", page, re.I)  # url(#id) is a clip path inside the SVG
    # pass rate per scenario, the class by week, and per trainee a progress line and an anger curve per session
    assert page.count("<svg") == 1 + 1 + 2 + 2
    assert "Pass rate per scenario" in page and "Most common mistakes" in page
    assert "@media print" in page and "break-before: page" in page


def test_html_is_deterministic(cli, db, tmp_path):
    from simulator.reports.classview import build
    from simulator.reports.html import render_html

    with Store(db) as store:
        a = "".join(render_html(build(store, protocol), generated="2026-01-01T00:00:00Z", filters={}))
        b = "".join(render_html(build(store, protocol), generated="2026-01-01T00:00:00Z", filters={}))
    assert a == b


def test_html_mistakes_count_sessions(db):
    from simulator.reports.html import mistakes
    from simulator.reports.rows import judged

    with Store(db) as store:
        items = list(judged(store.find(), protocol))
    top = dict(mistakes(items))
    # the formula-named trainee and the unfinished session never documented the call
    assert top["Missed: Document the interaction"] == 2
    assert all(1 <= n <= len(items) for n in top.values())


# ---------------------------------------------------------------- pdf


@pytest.mark.slow
def test_pdf_is_a_one_trainee_report(cli, db, tmp_path):
    data = report(cli, db, tmp_path, "pdf", "--trainee", "Amira").read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    # a summary page, then the detail of the latest sessions (both of Amira's) on the next pages
    assert len(re.findall(rb"/Type /Page\b", data)) == 3
    assert b"/Subtype /Image" not in data  # charts are drawn as lines, not pictures


def test_pdf_prints_any_name(cli, db, tmp_path):
    data = report(cli, db, tmp_path, "pdf", "--trainee", SCRIPT).read_bytes()
    assert data.startswith(b"%PDF-")


def test_pdf_needs_a_trainee_with_sessions(cli, db, tmp_path):
    status, _, err = cli("report", "--db", str(db), "--format", "pdf", "-o", str(tmp_path / "r.pdf"), "--trainee", "Nobody")
    assert status == 1 and "Nobody" in err and not (tmp_path / "r.pdf").exists()


def test_pdf_without_the_bundled_font_falls_back_to_latin1(db, monkeypatch):
    from simulator.reports import pdf
    from simulator.reports.classview import build
    from simulator.reports.rows import judged

    monkeypatch.setattr(pdf, "_fonts", lambda: None)
    with Store(db) as store:
        with store.conn:
            store.conn.execute("UPDATE sessions SET trainee=? WHERE trainee=?", ("Zoë → ✓ 漢字", SCRIPT))
        report = build(store, protocol, trainee="Zoë → ✓ 漢字")
        items = list(judged(store.find(trainee="Zoë → ✓ 漢字"), protocol))
    data = pdf.render_pdf(report, generated="2026-01-01T00:00:00Z", details={"Zoë → ✓ 漢字": items})
    assert data.startswith(b"%PDF-") and b"Helvetica" in data


def test_the_guide_lists_the_columns_in_order():
    guide = (Path(__file__).resolve().parent.parent / "docs" / "reports.md").read_text(encoding="utf-8")
    table = guide.split("## CSV and Excel", 1)[1].split("The CSV is UTF-8", 1)[0]
    listed = [name for cell in re.findall(r"^\| (`[^|]+) \|", table, re.M) for name in re.findall(r"`([a-z_]+)`", cell)]
    assert listed == list(COLUMNS)
    assert "img/report.png" in guide and (Path(__file__).resolve().parent.parent / "docs" / "img" / "report.png").is_file()
