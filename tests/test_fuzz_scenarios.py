"""Property test: mutated scenarios never make the validator raise anything but
ScenarioError, and whatever it accepts the engine can play (or, if a playthrough gets
stuck at a node that offers nothing, the linter has warned about that node with W102)."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.authoring.batch import OUTCOMES, simulate
from simulator.authoring.lint import lint
from simulator.authoring.starter import starter
from simulator.diagnostics import DefuseError, ScenarioError
from simulator.library import bundled_scenario_dir, protocol, protocols
from simulator.loader import load_document, load_scenario
from simulator.policies import Policy, play_policy

PROTOCOL_IDS = set(protocols())
TEXTS = [p.read_text(encoding="utf-8") for p in sorted(bundled_scenario_dir().glob("*.yaml"))[:4]] + [starter("Fuzz")]
BASES = [(t, yaml.safe_load(t)) for t in TEXTS]

ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _get(node, path):
    for p in path:
        node = node[p]
    return node


@st.composite
def mutated(draw) -> bytes:
    text, data = draw(st.sampled_from(BASES))
    kind = draw(st.sampled_from(["delete", "retype", "rename", "swap", "junk", "bytes", "several"]))
    if kind in ("junk", "bytes"):
        raw = bytearray(text.encode("utf-8"))
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(raw)))
            if kind == "junk":
                raw[at:at] = draw(st.text(min_size=1, max_size=30)).encode("utf-8", "surrogatepass")
            elif at < len(raw):
                raw[at] = draw(st.integers(0, 255))
        return bytes(raw)
    data = copy.deepcopy(data)
    rounds = draw(st.integers(2, 5)) if kind == "several" else 1
    for _ in range(rounds):
        how = draw(st.sampled_from(["delete", "retype", "rename", "swap"])) if kind == "several" else kind
        paths = [p for p in _paths(data) if p]
        if how == "delete":
            path = draw(st.sampled_from(paths))
            parent = _get(data, path[:-1])
            del parent[path[-1]]
        elif how == "retype":
            path = draw(st.sampled_from(paths))
            _get(data, path[:-1])[path[-1]] = draw(ANY_VALUE)
        elif how == "rename":
            ids = [p for p in paths if p[-1] == "id" and isinstance(_get(data, p), str)]
            if ids:
                path = draw(st.sampled_from(ids))
                _get(data, path[:-1])["id"] = draw(st.sampled_from(["x", "open", "done", "a.b", _get(data, path) + "_2"]))
        else:
            gotos = [p for p in paths if p[-1] in ("goto", "start", "hangup", "vent_start")]
            if len(gotos) >= 2:
                a, b = draw(st.sampled_from(gotos)), draw(st.sampled_from(gotos))
                pa, pb = _get(data, a[:-1]), _get(data, b[:-1])
                pa[a[-1]], pb[b[-1]] = pb[b[-1]], pa[a[-1]]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")


@settings(max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
@pytest.mark.slow
def test_validator_never_raises_and_what_it_accepts_plays(raw):
    try:
        scenario = load_scenario(raw, "fuzz.yaml", PROTOCOL_IDS)
    except ScenarioError as e:
        assert e.diagnostics, "a rejection always says why"
        for d in e.diagnostics:
            assert d.line >= 1 and d.col >= 1 and "\n" not in d.message
        return
    proto = protocol(scenario.protocol)
    for seed in range(3):
        try:
            state = play_policy(scenario, Policy("random"), proto, seed)
        except DefuseError as e:
            assert "offers no option" in str(e)
            _, doc = load_document(raw, "fuzz.yaml", PROTOCOL_IDS)
            codes = {d.code for d in lint(scenario, doc, proto)} | set(scenario.lint.ignore)
            assert "W102" in codes, "the engine got stuck where the linter saw no dead end"
            return
        assert state.finished
        batch = simulate(scenario, proto, Policy("random"), np.array([seed]))
        assert OUTCOMES[batch.outcome[0]] == state.outcome and batch.anger[0] == state.anger
