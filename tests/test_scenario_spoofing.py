"""An id belongs to exactly one file, and every session records the file it was played from."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from simulator.library import Library, bundled_scenario_dir, shown_path
from simulator.store import Store

BUNDLED = bundled_scenario_dir() / "billing_double_charge.yaml"


def copy_of_bundled(folder: Path, name: str = "mine.yaml", title: str = "A spoof") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(BUNDLED.read_text(encoding="utf-8").replace("title: ", f"title: {title} - ", 1), encoding="utf-8")
    return path


def clash_message(path: Path, other: Path) -> str:
    return f"{path}:3:5: E029 scenario id 'billing_double_charge' is also the id of {shown_path(other)}: an id belongs to one file; rename one of them"


def test_a_file_with_a_bundled_id_is_refused_when_played_by_path(cli, tmp_path):
    spoof = copy_of_bundled(tmp_path)
    status, out, err = cli("run", str(spoof), "--policy", "protocol", "--json")
    assert status == 1 and out == ""
    assert err == clash_message(spoof, BUNDLED) + "\n"


def test_a_bare_id_never_means_a_file_in_the_current_folder(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_of_bundled(tmp_path, name="billing_double_charge")
    status, out, err = cli("run", "billing_double_charge", "--policy", "protocol", "--json", "--no-save")
    assert status == 0, err
    assert json.loads(out)["session"]["title"] == Library().get("billing_double_charge").scenario.title
    assert "A spoof" not in out


def test_a_clash_in_a_scenarios_folder_is_reported_and_the_id_refused(cli, tmp_path):
    spoof = copy_of_bundled(tmp_path / "mine")
    status, out, err = cli("scenarios", "--scenarios", str(tmp_path / "mine"), "--json")
    assert status == 0
    assert clash_message(spoof, BUNDLED) in err.splitlines() and clash_message(BUNDLED, spoof) in err.splitlines()
    assert "billing_double_charge" not in [d["id"] for d in json.loads(out)]
    status, out, err = cli("run", "billing_double_charge", "--scenarios", str(tmp_path / "mine"), "--policy", "protocol", "--no-save")
    assert status == 1 and err == clash_message(spoof, BUNDLED) + "\n"


@pytest.mark.parametrize("command", ["validate", "lint"])
@pytest.mark.slow
def test_validate_and_lint_report_a_clash(cli, tmp_path, command):
    spoof = copy_of_bundled(tmp_path)
    status, out, err = cli(command, str(spoof))
    assert status == 1
    assert clash_message(spoof, BUNDLED) in out.splitlines()


def test_two_files_with_one_id_clash_with_each_other(cli, tmp_path):
    a = copy_of_bundled(tmp_path / "x", "a.yaml")
    a.write_text(a.read_text(encoding="utf-8").replace("id: billing_double_charge", "id: my_copy", 1), encoding="utf-8")
    b = tmp_path / "x" / "b.yaml"
    shutil.copy(a, b)
    status, out, _ = cli("validate", str(tmp_path / "x"))
    assert status == 1
    assert f"{a}:3:5: E029 scenario id 'my_copy' is also the id of {shown_path(b)}: an id belongs to one file; rename one of them" in out.splitlines()


def test_sessions_record_the_source_file_and_its_hash_and_exports_keep_them(cli, tmp_path):
    db = tmp_path / "s.sqlite3"
    status, out, err = cli("run", "billing_double_charge", "--policy", "protocol", "--db", str(db), "--json")
    assert status == 0, err
    mine = copy_of_bundled(tmp_path / "own", "own.yaml")
    mine.write_text(mine.read_text(encoding="utf-8").replace("id: billing_double_charge", "id: own_copy", 1), encoding="utf-8")
    assert cli("run", str(mine), "--policy", "protocol", "--db", str(db))[0] == 0
    with Store(db) as store:
        got = {s.scenario: (s.scenario_source, s.scenario_hash) for s in store.find()}
    assert got == {
        "billing_double_charge": ("bundled:billing_double_charge.yaml", hashlib.sha256(BUNDLED.read_bytes()).hexdigest()),
        "own_copy": (str(mine.resolve()), hashlib.sha256(mine.read_bytes()).hexdigest()),
    }
    assert cli("export-sessions", "--db", str(db), "-o", str(tmp_path / "x.json"))[0] == 0
    exported = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))["sessions"]
    assert {s["scenario"]: (s["scenario_source"], s["scenario_hash"]) for s in exported} == got
    assert cli("import", "--db", str(tmp_path / "desk.sqlite3"), str(tmp_path / "x.json"))[0] == 0
    with Store(tmp_path / "desk.sqlite3") as store:
        assert {s.scenario: (s.scenario_source, s.scenario_hash) for s in store.find()} == got
