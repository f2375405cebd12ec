"""Twee conversion and translation of a generated 10,000-node scenario, against loading it.

Prints one JSON object per line (see run_all.py). Peer: validating the same scenario from
YAML (`load_scenario`), measured in the same run; `ratio` = the figure's time / the peer's.
- YAML -> Twee: rendering the loaded scenario as a Twee 3 story;
- Twee -> YAML: parsing that story back into a scenario document and writing its YAML;
- translate: applying a complete PO catalogue (every line and option) to the scenario.
"""
from __future__ import annotations

import json
import time

import polib

from bench_validate import generate
from simulator.authoring.twee import document_to_yaml, parse_twee, scenario_to_twee, story_to_document
from simulator.l10n import init_po, translate
from simulator.library import protocols
from simulator.loader import load_scenario

NODES = 10_000
REPEATS = 3


def best(fn) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ids = set(protocols())
    raw = generate(NODES)
    scenario = load_scenario(raw, "generated.yaml", ids)
    load = best(lambda: load_scenario(raw, "generated.yaml", ids))
    twee = scenario_to_twee(scenario)
    out = best(lambda: scenario_to_twee(scenario))
    back = best(lambda: document_to_yaml(story_to_document(parse_twee(twee, "g.twee"))[0]))
    po = polib.pofile(init_po(scenario, "de"))
    for e in po:
        e.msgstr = "DE " + e.msgid
    tr = best(lambda: translate(scenario, po, "de"))
    peer = f"validate the {NODES:,}-node YAML ({load:.2f} s)"
    for figure, value in (
        (f"convert: {NODES:,}-node scenario YAML -> Twee", out),
        (f"convert: {NODES:,}-node story Twee -> YAML", back),
        (f"l10n: translate a {NODES:,}-node scenario", tr),
    ):
        print(json.dumps({"figure": figure, "value": round(value, 3), "unit": "s", "peer": peer, "ratio": round(value / load, 2), "note": f"vs {peer}"}))


if __name__ == "__main__":
    main()
