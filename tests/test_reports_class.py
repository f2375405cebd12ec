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

from simulator.store import Store

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
