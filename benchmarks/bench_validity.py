"""Validity of the score over the bundled library: which model trainees pass which scenario.

Prints one figure per trainee (how many scenarios it passes: more than 10% of its runs, or
every run for the protocol trainee) and, with --table, the Markdown table that
docs/scoring.md shows. Pass rates come from seeded runs, so they repeat exactly.
"""
from __future__ import annotations

import json
import sys

from simulator.authoring.analyze import GAMING_LIMIT
from simulator.authoring.validity import COLUMNS, pass_rates, table
from simulator.library import Library, protocol


def main() -> None:
    lib = Library()
    rows = {}
    for sid, entry in sorted(lib.entries().items()):
        rows[sid] = pass_rates(entry.scenario, protocol(entry.scenario.protocol))
    if "--table" in sys.argv:
        print(table(rows))
        return
    n = len(rows)
    for c in COLUMNS:
        if c == "protocol":
            value = sum(1 for r in rows.values() if r[c] == 1.0)
            note = f"of {n} scenarios passed on every seed (target: all)"
        else:
            value = sum(1 for r in rows.values() if r[c] > GAMING_LIMIT)
            worst = max(r[c] for r in rows.values())
            note = f"of {n} scenarios passed in >{GAMING_LIMIT:.0%} of runs; worst pass rate {worst:.1%}"
        print(json.dumps({"figure": f"validity: {c}", "value": value, "unit": "scen.", "peer": None, "ratio": None, "note": note}))


if __name__ == "__main__":
    main()
