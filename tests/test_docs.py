"""The documents match the code: the worked example in docs/scoring.md is what the scorer
computes, and the README's quick start is the two make targets."""
from __future__ import annotations

import re
from pathlib import Path

from scoring import score
from simulator.library import Library, protocol
from simulator.policies import parse_choices, play_choices

ROOT = Path(__file__).resolve().parent.parent


def test_scoring_worked_example_matches_the_scorer():
    doc = (ROOT / "docs" / "scoring.md").read_text()
    m = re.search(r"--choices ([a-z_,]+)`", doc)
    assert m
    sc = Library().get("billing_double_charge").scenario
    state = play_choices(sc, parse_choices(m.group(1)))
    r = score(state.transcript(), protocol("ten_step"))
    c = r.components
    assert f"**{c['coverage']:.2f}**" in doc
    assert f"**{c['order']:.2f}**" in doc
    assert f"**{c['conduct']:.2f}**" in doc
    assert f"**{c['outcome']:.2f}**" in doc
    assert f"**{r.total:.1f}**" in doc
    assert ("**Result: FAIL**" in doc) == (not r.passed)
    for line in re.findall(r"^- (Missed '[^']+'|Out of order at turn \d+)", doc, re.M):
        assert any(f.message.startswith(line) for f in r.feedback), line


def test_readme_quick_start_is_two_make_targets():
    readme = (ROOT / "README.md").read_text()
    assert "make play" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_scoring_doc_traces_every_step_to_its_source():
    from scoring.traced import traced_table
    from simulator.library import protocols

    doc = (ROOT / "docs" / "scoring.md").read_text()
    table = traced_table([protocol(p) for p in sorted(protocols())])
    assert table in doc  # regenerate with scoring.traced.traced_table when a protocol changes


def test_every_bundled_step_quotes_its_source_verbatim():
    from simulator.library import protocols

    seeds = ROOT.parent / "shared" / "seeds"
    if not seeds.is_dir():
        import pytest

        pytest.skip("the source documents are not beside this checkout")
    norm = lambda t: " ".join(t.replace("**", "").replace("~~", "").replace("“", '"').replace("”", '"').replace("’", "'").split())
    for pid in protocols():
        for s in protocol(pid).steps:
            assert s.source is not None, (pid, s.id)
            assert len(s.source.quote.split()) <= 12, (pid, s.id)
            assert norm(s.source.quote) in norm((seeds / s.source.file).read_text()), (pid, s.id, s.source.quote)
