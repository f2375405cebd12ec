"""docs/scenarios.md stays true to the installed library: one row per bundled scenario, with
its real setting, industry and default protocol, and no row for a scenario that is gone."""
from __future__ import annotations

from pathlib import Path

import pytest

from simulator.library import Library, protocols

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenarios.md"
COLUMNS = ["id", "title", "setting", "industry", "what it trains", "default protocol"]


def table_rows() -> dict[str, dict[str, str]]:
    """The library table, keyed by scenario id (cells without their backticks)."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| id |"))
    assert [c.strip() for c in lines[header].strip("|").split("|")] == COLUMNS
    rows = {}
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        assert len(cells) == len(COLUMNS), line
        row = dict(zip(COLUMNS, cells))
        assert row["id"] not in rows, f"{row['id']} is listed twice"
        rows[row["id"]] = row
    return rows


def skeleton(sc) -> str:
    """The row to paste for a scenario the page is missing (the training aim is for a person to write)."""
    return f"| `{sc.id}` | {sc.title} | {sc.setting.value.replace('_', ' ')} | {sc.industry} | ... | `{sc.protocol}` |"


@pytest.fixture(scope="module")
def bundled():
    lib = Library(include_bundled=True)
    return {sid: e.scenario for sid, e in lib.entries().items()}


def test_every_bundled_scenario_has_a_row(bundled):
    rows = table_rows()
    missing = [skeleton(sc) for sid, sc in sorted(bundled.items()) if sid not in rows]
    assert not missing, "docs/scenarios.md lacks these scenarios; add rows like:\n" + "\n".join(missing)


def test_no_row_names_a_scenario_that_is_not_bundled(bundled):
    assert sorted(set(table_rows()) - set(bundled)) == []


def test_each_row_matches_its_scenario(bundled):
    for sid, row in table_rows().items():
        sc = bundled.get(sid)
        if sc is None:
            continue  # reported by the test above
        assert row["title"] == sc.title, sid
        assert row["setting"] == sc.setting.value.replace("_", " "), sid
        assert row["industry"] == sc.industry, sid
        assert row["default protocol"] == sc.protocol, sid
        assert len(row["what it trains"]) > 20, f"{sid}: say what the scenario trains"


def test_the_protocol_table_names_every_protocol_and_the_scenarios_that_default_to_it(bundled):
    text = DOC.read_text(encoding="utf-8")
    for pid, proto in protocols().items():
        users = sorted(sid for sid, sc in bundled.items() if sc.protocol == pid)
        line = next((ln for ln in text.splitlines() if ln.startswith(f"| `{pid}` |")), None)
        assert line is not None, f"docs/scenarios.md: no row for protocol {pid}"
        assert line.split("|")[2].strip() == proto.title, pid
        named = {c.strip().strip("`") for c in line.strip().strip("|").split("|")[-1].split(",")} - {"", "none yet"}
        assert named == set(users), f"protocol {pid}: the page says {sorted(named)}, the library says {users}"
