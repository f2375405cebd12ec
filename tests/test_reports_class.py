"""The instructor's side at class scale: honest aggregates, the coaching grid, progress over time.

Every store here is built for the purpose through the real Recorder (known sessions, known
misses per trainee), so each test can assert the exact figures a report must show.
"""
from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pytest

from simulator.store import SCHEMA_VERSION, Store

from playthrough import BY_THE_BOOK, play

HOSTILE = ["quick_see!", "her_side"]  # performs no step: "I see" said over her is not heard


def report(cli, db: Path, tmp_path: Path, fmt: str, *extra: str) -> Path:
    out = tmp_path / f"out.{fmt}"
    status, stdout, err = cli("report", "--db", str(db), "--format", fmt, "-o", str(out), *extra)
    assert status == 0, err
    return out


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def set_start(store: Store, sid: str, when: str) -> None:
    with store.conn:
        store.conn.execute("UPDATE sessions SET started_at=? WHERE id=?", (when, sid))


# ---------------------------------------------------------------- honest aggregates


@pytest.fixture
def mixed(tmp_path) -> Path:
    """Practice in the terminal and the window, a scripted run, an unfinished session."""
    path = tmp_path / "mixed.sqlite3"
    with Store(path) as store:
        play(store, "Amira Haddad", BY_THE_BOOK, mode="text")
        play(store, "Amira Haddad", HOSTILE, mode="window")
        play(store, "Amira Haddad", BY_THE_BOOK, mode="scripted")
        play(store, "Ben", BY_THE_BOOK, mode="autoplay")
        play(store, "Ben", ["breathe_listen", "keep_listening"], finish=False)
    return path


def test_scripted_runs_are_left_out_unless_asked_for(cli, mixed, tmp_path):
    modes = lambda *f: sorted(r["mode"] for r in read_csv(report(cli, mixed, tmp_path, "csv", *f)))  # noqa: E731
    assert modes() == ["text", "text", "window"]
    assert modes("--mode", "practice") == ["text", "text", "window"]
    assert modes("--mode", "scripted") == ["autoplay", "scripted"]
    assert modes("--mode", "all") == ["autoplay", "scripted", "text", "text", "window"]
    status, out, err = cli("sessions", "--db", str(mixed), "--json")
    assert status == 0 and len(__import__("json").loads(out)) == 3
    with pytest.raises(SystemExit) as e:
        cli("report", "--db", str(mixed), "--format", "csv", "-o", str(tmp_path / "x.csv"), "--mode", "drill")
    assert e.value.code == 2


def test_export_and_push_keep_every_mode_by_default(cli, mixed, tmp_path):
    import json

    status, _, err = cli("export-sessions", "--db", str(mixed), "-o", str(tmp_path / "all.json"))
    assert status == 0, err
    assert len(json.loads((tmp_path / "all.json").read_text())["sessions"]) == 5


def test_trainee_matches_whatever_the_case_and_spacing(cli, mixed, tmp_path):
    for name in ("Amira Haddad", "  amira haddad ", "AMIRA  HADDAD"):
        rows = read_csv(report(cli, mixed, tmp_path, "csv", "--trainee", name))
        assert sorted(r["mode"] for r in rows) == ["text", "window"], name
    assert read_csv(report(cli, mixed, tmp_path, "csv", "--trainee", "Amira")) == []


def test_mode_is_a_column_in_json_and_xlsx(cli, mixed, tmp_path):
    import json

    doc = json.loads(report(cli, mixed, tmp_path, "json", "--mode", "all").read_text(encoding="utf-8"))
    assert sorted(s["mode"] for s in doc["sessions"]) == ["autoplay", "scripted", "text", "text", "window"]
    with zipfile.ZipFile(report(cli, mixed, tmp_path, "xlsx")) as z:
        shared = z.read("xl/sharedStrings.xml").decode()
    assert "<t>mode</t>" in shared and "<t>window</t>" in shared


def test_order_is_not_shown_for_fewer_than_two_steps(cli, mixed, tmp_path):
    rows = read_csv(report(cli, mixed, tmp_path, "csv"))
    one_step = next(r for r in rows if r["mode"] == "window")
    assert one_step["sequence"] == "" and one_step["order"] == ""
    full = next(r for r in rows if r["mode"] == "text" and r["complete"] == "true")
    assert float(full["order"]) == 1.0


def test_csv_missed_column_sits_beside_sequence(cli, mixed, tmp_path):
    rows = read_csv(report(cli, mixed, tmp_path, "csv"))
    assert list(rows[0])[-2:] == ["sequence", "missed"]
    one_step = next(r for r in rows if r["mode"] == "window")
    assert one_step["missed"] == (
        "stay_calm, listen, acknowledge_issue, apologize, identify_root_cause, offer_solutions, take_action, follow_up, document, learn_and_improve"
    )
    full = next(r for r in rows if r["mode"] == "text" and r["complete"] == "true")
    assert full["missed"] == ""


def test_xlsx_start_times_are_dates(cli, mixed, tmp_path):
    with Store(mixed) as store:
        for s in store.find():
            set_start(store, s.id, "2026-03-02T12:00:00Z")
    with zipfile.ZipFile(report(cli, mixed, tmp_path, "xlsx")) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    # column E is started_at: a number (days since 1900: 2026-03-02 12:00 is 46083.5) with a date format
    cells = re.findall(r'<c r="E(\d+)"( s="(\d+)")?( t="(\w+)")?><v>([^<]*)</v>', sheet)
    assert [c[0] for c in cells] == ["1", "2", "3", "4"]  # the header, then three practice sessions
    for _, _, style, _, kind, value in cells[1:]:
        assert kind == "" and float(value) == pytest.approx(46083.5)
    assert "yyyy-mm-dd hh:mm:ss" in styles


# ---------------------------------------------------------------- the coaching grid


JUMPY = ["breathe_listen", "keep_listening", "jump_fix", "ask_now", "found_it", "just_do_it", "goodbye", "next_caller"]  # offers a fix before the cause
STEPS = ["stay_calm", "listen", "acknowledge_issue", "apologize", "identify_root_cause", "offer_solutions", "take_action", "follow_up", "document", "learn_and_improve"]


@pytest.fixture
def klass(tmp_path) -> Path:
    """Known plays per trainee, one day apart, so each trainee's misses and progress are known."""
    path = tmp_path / "class.sqlite3"
    plan = [
        ("Amira", BY_THE_BOOK, "text", True),
        ("Ben", HOSTILE, "text", True),
        ("Cleo", JUMPY, "window", True),
        ("Amira", BY_THE_BOOK, "window", True),
        ("Ben", HOSTILE, "text", True),
        ("Cleo", JUMPY, "text", True),
        ("Dan", BY_THE_BOOK, "scripted", True),  # a scripted run: not in the grid
        ("Dan", HOSTILE, "text", True),
        ("Cleo", ["breathe_listen", "keep_listening"], "text", False),  # unfinished: not in the grid
        ("Ben", BY_THE_BOOK, "text", True),
    ]
    with Store(path) as store:
        for day, (who, choices, mode, finish) in enumerate(plan, start=1):
            rec = play(store, who, choices, mode=mode, finish=finish)
            set_start(store, rec.session_id, f"2026-03-{day:02d}T09:00:00Z")
    return path


def cells(report, protocol_id="ten_step") -> dict[str, list[str]]:
    grid = next(g for g in report.grids if g.protocol == protocol_id)
    assert [sid for sid, _, _ in grid.steps] == STEPS  # the protocol's order
    return {name: [f"{c.done}/{c.in_order}/{c.missed} of {c.sessions}" for c in row] for name, row in grid.rows}


def test_coaching_grid_counts_done_in_order_and_missed(klass):
    from simulator.reports.classview import build
    from simulator.library import protocol

    with Store(klass) as store:
        report = build(store, protocol, mode="practice")
    every = lambda cell: [cell] * len(STEPS)  # noqa: E731
    assert cells(report) == {
        "Amira": every("2/2/0 of 2"),
        "Ben": ["1/1/2 of 3"] * 10,
        "Cleo": ["2/2/0 of 2", "2/2/0 of 2", "0/0/2 of 2", "0/0/2 of 2", "2/2/0 of 2", "2/0/0 of 2", "2/2/0 of 2", "0/0/2 of 2", "0/0/2 of 2", "0/0/2 of 2"],
        "Dan": ["0/0/1 of 1"] * 10,
    }
    coaching = {c.step: [name for name, _, _ in c.trainees] for g in report.grids for c in g.coaching}
    # worst first: the share missed, then how many times
    assert coaching == {
        "stay_calm": ["Dan", "Ben"],
        "listen": ["Dan", "Ben"],
        "acknowledge_issue": ["Cleo", "Dan", "Ben"],
        "apologize": ["Cleo", "Dan", "Ben"],
        "identify_root_cause": ["Dan", "Ben"],
        "offer_solutions": ["Dan", "Ben"],
        "take_action": ["Dan", "Ben"],
        "follow_up": ["Cleo", "Dan", "Ben"],
        "document": ["Cleo", "Dan", "Ben"],
        "learn_and_improve": ["Cleo", "Dan", "Ben"],
    }


def test_grid_looks_at_the_latest_n_and_the_threshold(klass):
    from simulator.reports.classview import build
    from simulator.library import protocol

    with Store(klass) as store:
        report = build(store, protocol, mode="practice", latest_n=1, threshold=0.9)
    got = cells(report)
    assert got["Ben"] == ["1/1/0 of 1"] * len(STEPS)  # only his latest, by the book
    assert got["Cleo"][5] == "1/0/0 of 1"
    coaching = {c.step: [name for name, _, _ in c.trainees] for g in report.grids for c in g.coaching}
    assert coaching["stay_calm"] == ["Dan"] and coaching["acknowledge_issue"] == ["Cleo", "Dan"]


def test_fast_and_full_builds_agree(klass):
    """Saved scores read from the summaries and SQLite's JSON, or every session read and scored: the same report."""
    from simulator.reports.classview import build, trainee_rows
    from simulator.library import protocol

    with Store(klass) as store:
        for f in ({"mode": "practice"}, {"mode": "all"}, {"mode": "all", "verdict": False}, {"trainee": "ben"}):
            fast = build(store, protocol, **f)
            full = build(store, protocol, override=protocol("ten_step"), **f)
            assert fast.grids == full.grids, f
            assert fast.mistakes == full.mistakes and fast.mistakes, f
            assert list(trainee_rows(fast)) == list(trainee_rows(full)), f
            assert (fast.sessions, fast.passed, fast.unfinished_count) == (full.sessions, full.passed, full.unfinished_count)
            assert fast.sum_total == pytest.approx(full.sum_total)
            for a, b in ((fast.weeks, full.weeks), (fast.scenarios, full.scenarios)):
                assert [dict(x, mean=round(x["mean"], 9)) for x in a] == [dict(x, mean=round(x["mean"], 9)) for x in b]
            assert [t.points for t in fast.trainees] == [t.points for t in full.trainees]
            assert fast.unfinished == full.unfinished


def test_html_grid_and_coaching_list(cli, klass, tmp_path):
    page = report(cli, klass, tmp_path, "html").read_text(encoding="utf-8")
    grid = page.split('id="grid-ten_step"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", grid, re.S)
    assert [name for name, _ in rows] == ["Amira", "Ben", "Cleo", "Dan"]
    ben = re.findall(r'<td class="cell" style="background:(#[0-9a-f]{6})" title="done (\d) \((\d) in order\), missed (\d), of (\d)">', dict(rows)["Ben"])
    assert [c[1:] for c in ben] == [("1", "1", "2", "3")] * 10
    amira = re.findall(r'<td class="cell" style="background:(#[0-9a-f]{6})"', dict(rows)["Amira"])
    assert amira[0] == "#e8f4ec" and ben[0][0] != amira[0]  # nothing missed is the palest; misses are warmer
    # out of order is marked in Cleo's offer_solutions cell
    assert "⇅2" in dict(rows)["Cleo"]
    coach = grid.split("Who needs coaching on what", 1)[1]
    assert re.search(r"<strong>Acknowledge the issue</strong>: Cleo <span class=\"meta\">\(2/2\)</span>, Dan <span class=\"meta\">\(1/1\)</span>, Ben <span class=\"meta\">\(2/3\)</span>", coach)
    # the unfinished session is listed apart, the scripted run nowhere
    unfinished = page.split('id="unfinished"', 1)[1].split("</table>", 1)[0]
    assert "Cleo" in unfinished and unfinished.count("<tr>") == 2
    assert "finished sessions</div>" in page and '<div class="n">8</div>' in page


def test_xlsx_grid_and_progress_sheets(cli, klass, tmp_path):
    with zipfile.ZipFile(report(cli, klass, tmp_path, "xlsx")) as z:
        names = re.findall(r'<sheet name="([^"]*)"', z.read("xl/workbook.xml").decode())
        grid = z.read(f"xl/worksheets/sheet{names.index('Grid') + 1}.xml").decode()
        progress = z.read(f"xl/worksheets/sheet{names.index('Progress') + 1}.xml").decode()
        shared = re.findall(r"<t[^>]*>([^<]*)</t>", z.read("xl/sharedStrings.xml").decode())
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        chart = z.read(charts[0]).decode() if charts else ""
    # Ben's row: the share missed per step, in the protocol's order
    rows = re.findall(r'<row r="(\d+)"[^>]*>(.*?)</row>', grid, re.S)
    by_name = {}
    for _, body in rows:
        first = re.search(r'<c r="A\d+"[^>]* t="s"><v>(\d+)</v>', body)
        if first:
            by_name[shared[int(first.group(1))]] = [float(v) for v in re.findall(r'<c r="[B-K]\d+"[^>]*><v>([^<]*)</v>', body)]
    assert by_name["Ben"] == pytest.approx([2 / 3] * 10)
    assert by_name["Amira"] == [0.0] * 10
    assert "3_color_scale" in grid or "colorScale" in grid
    # progress: the class by week with real dates, and a native line chart of it
    assert "<c:lineChart>" in chart and "Progress!$A$2:$A$" in chart
    week_cells = re.findall(r'<c r="A([2-9])" s="\d+"><v>([\d.]+)</v>', progress)
    assert [float(v) for _, v in week_cells[:2]] == [46076.0, 46083.0]  # Mondays 2026-02-23 and 2026-03-02


def test_progress_per_trainee_and_class_by_week(klass):
    from simulator.reports.classview import build, trainee_rows
    from simulator.library import protocol

    with Store(klass) as store:
        totals = {}
        for s in store.find(mode="practice", complete=True):
            totals.setdefault(s.trainee, []).append(s.total)
        report = build(store, protocol, mode="practice")
    ben = next(t for t in trainee_rows(report) if t["trainee"] == "Ben")
    b = totals["Ben"]
    assert (ben["first"], ben["latest"], ben["best"]) == (b[0], b[-1], max(b))
    assert ben["trend"] == pytest.approx((b[2] - b[0]) / 2)  # least squares through three attempts
    assert ben["first_at"] == "2026-03-02T09:00:00Z" and ben["last_at"] == "2026-03-10T09:00:00Z"
    cleo = next(t for t in trainee_rows(report) if t["trainee"] == "Cleo")
    assert cleo["sessions"] == 2 and cleo["unfinished"] == 1 and cleo["trend"] == pytest.approx(0)
    # weeks start on Monday: 1 March 2026 is a Sunday
    weeks = {w["week"]: (w["sessions"], w["passed"]) for w in report.weeks}
    assert weeks == {"2026-02-23": (1, 1), "2026-03-02": (6, 1), "2026-03-09": (1, 1)}
    wk = next(w for w in report.weeks if w["week"] == "2026-03-02")
    in_week = totals["Amira"][1:] + b[:2] + totals["Cleo"] + totals["Dan"]
    assert len(in_week) == 6 and wk["mean"] == pytest.approx(sum(in_week) / 6)


def test_progress_line_has_a_point_per_attempt_up_to_a_limit():
    from simulator.reports.classview import buckets

    assert buckets([10.0, 20.0, 30.0]) == [(1, 10.0), (2, 20.0), (3, 30.0)]
    assert buckets([10.0, 20.0, 30.0, 40.0], points=2) == [(1.5, 15.0), (3.5, 35.0)]
    long = buckets([float(i % 100) for i in range(10_000)])
    assert len(long) == 120 and long[0][0] >= 1 and long[-1][0] <= 10_000
    assert sum(y for _, y in long) / len(long) == pytest.approx(49.5, abs=1)


# ---------------------------------------------------------------- pdf


def pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() for p in PdfReader(str(path)).pages]


@pytest.mark.slow
def test_pdf_opens_with_a_summary_page_then_the_latest_three(cli, klass, tmp_path):
    pages = pdf_pages(report(cli, klass, tmp_path, "pdf", "--trainee", " ben "))
    summary = pages[0]
    assert "Ben" in summary and "3 finished session(s), 1 passed" in summary
    assert "first 0.0 · latest 100.0 · best 100.0 · trend +50.0 points per attempt" in summary
    assert "Weakest steps" in summary and "Stay calm and patient: missed 2 of 3" in summary
    assert summary.count("2026-03-") == 3  # the latest sessions in a table
    details = "\n".join(pages[1:])
    assert details.count("Steps of the procedure") == 3
    for detail, n in (("all", 3), ("none", 0)):
        pages = pdf_pages(report(cli, klass, tmp_path, "pdf", "--trainee", "Ben", "--detail", detail))
        assert "\n".join(pages).count("Steps of the procedure") == n
    pages = pdf_pages(report(cli, klass, tmp_path, "pdf", "--trainee", "Cleo", "--detail", "all"))
    assert "\n".join(pages).count("Steps of the procedure") == 3  # two finished, one unfinished
    assert "UNFINISHED" in "\n".join(pages)


def test_pdf_without_a_trainee_is_one_summary_page_each(cli, klass, tmp_path):
    pages = pdf_pages(report(cli, klass, tmp_path, "pdf"))
    assert len(pages) == 4
    assert [p.split("\n")[1] for p in pages] == ["Amira", "Ben", "Cleo", "Dan"]


# ---------------------------------------------------------------- progress bars


class _Terminal:
    """A stderr that says it is a terminal, and keeps what is written to it."""

    def __init__(self):
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.text += s
        return len(s)

    def flush(self) -> None:
        pass


def test_progress_bar_on_a_terminal_only_and_never_under_json(mixed, tmp_path, monkeypatch, capsys):
    from simulator.cli import main

    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    assert main(["report", "--db", str(mixed), "--format", "html", "-o", str(tmp_path / "r.html")]) == 0
    assert re.search(r"report html: +\d+%\|.*\| \d/3 \[", term.text)  # a bar, with the number of sessions
    assert main(["export-sessions", "--db", str(mixed), "-o", str(tmp_path / "all.json")]) == 0
    assert re.search(r"export: +\d+%\|.*\| \d/5 \[", term.text)
    term.text = ""
    assert main(["import", "--db", str(tmp_path / "other.sqlite3"), "--json", str(tmp_path / "all.json")]) == 0
    assert term.text == ""  # --json: quiet
    monkeypatch.setattr("sys.stderr", __import__("io").StringIO())  # piped: quiet
    assert main(["report", "--db", str(mixed), "--format", "csv", "-o", str(tmp_path / "r.csv")]) == 0
    assert "|" not in __import__("sys").stderr.getvalue()


def test_a_version_3_store_gains_the_fault_columns_and_the_report_index(tmp_path):
    import sqlite3

    path = tmp_path / "v3.sqlite3"
    with Store(path) as store:
        play(store, "Ben", HOSTILE)
        play(store, "Ben", ["breathe_listen"], finish=False)
        expected = sorted((s.missed, s.mistakes) for s in store.summaries())
    con = sqlite3.connect(path)
    con.execute("DROP INDEX sessions_report")
    con.execute("UPDATE sessions SET missed = NULL, mistakes = NULL")
    con.execute("PRAGMA user_version=3")
    con.commit()
    con.close()
    with Store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sessions_report'").fetchone()[0] == 1
        got = sorted((s.missed, s.mistakes) for s in store.summaries())
    assert got == expected
    hostile = max(got)
    assert hostile[0][:2] == ("stay_calm", "listen") and "conduct:conduct:interrupt" in hostile[1] and "step:stay_calm" in hostile[1]
