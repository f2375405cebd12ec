"""`defuse graph`: DOT and Mermaid as text with hostile text escaped, SVG/PNG through
Graphviz when it is installed, and a clear message when it is not."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from simulator.authoring import graph
from simulator.authoring.graph import OUTCOME_COLOURS, to_dot, to_mermaid
from simulator.library import Library
from simulator.model import Outcome

# every character that could break a label out, and an apostrophe so that the YAML quoting
# below (which doubles it) is really exercised
NASTY = 'He said "no" [it\'s] <script>alert(1)</script> & {x} | y # z \\ end'
SCENARIO = """\
format_version: 1
id: nasty
title: 'A "quoted" <title>'
summary: Text that tries to break the renderers.
setting: chat
industry: test
protocol: five_steps
persona: {name: Pat, anger: 50}
start: a
hangup: left
nodes:
  - id: a
    line: {id: a.line, text: '@LINE@'}
    options:
      - id: say
        text: '@LINE@'
        actions: [listen]
        routes:
          - when: {band: [hostile], done: [listen]}
            goto: left
          - goto: end
  - id: end
    line: {id: end.line, text: "Bye."}
    end: resolved
  - id: left
    line: {id: left.line, text: "Gone."}
    end: customer_left
""".replace("@LINE@", NASTY.replace("'", "''"))


@pytest.fixture
def nasty(tmp_path):
    path = tmp_path / "nasty.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture
def scenario(nasty):
    return Library(include_bundled=False).load_path(nasty)


def _dot_strings(text: str) -> list[str]:
    # every double-quoted DOT string, honouring backslash escapes
    return re.findall(r'"((?:[^"\\]|\\.)*)"', text)


def test_dot_escapes_quotes_and_backslashes(scenario):
    dot = to_dot(scenario)
    assert dot.startswith('digraph "nasty" {') and dot.rstrip().endswith("}")
    # no raw quote can end a string early: stripping the strings leaves no quote behind
    assert '"' not in re.sub(r'"(?:[^"\\]|\\.)*"', "", dot)
    unescaped = [s.replace('\\"', '"').replace("\\\\", "\\") for s in _dot_strings(dot)]
    assert any(NASTY in s for s in unescaped)
    assert '"end" [label=' in dot  # a node named like a keyword is quoted
    assert f'fillcolor="{OUTCOME_COLOURS[Outcome.CUSTOMER_LEFT]}"' in dot
    assert "after the reply, if band hostile, done listen" in dot and "\\nafter the reply, otherwise" in dot


def test_mermaid_escapes_everything_that_could_break_out(scenario):
    mmd = to_mermaid(scenario)
    assert mmd.startswith("flowchart TD\n")
    for line in mmd.splitlines()[1:]:
        labels = re.findall(r'"([^"]*)"', line)
        assert line.count('"') % 2 == 0
        for label in labels:
            assert "<script" not in label and "</script" not in label
    assert "#quot;no#quot;" in mmd and "#lt;script#gt;" in mmd and "#124;" in mmd
    assert "class n1 resolved" in mmd and "class n2 customer_left" in mmd
    assert "end[" not in mmd  # Mermaid's `end` keyword is never used as a node id


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_svg_through_graphviz_keeps_the_script_inert(cli, nasty, tmp_path):
    out = tmp_path / "g.svg"
    status, _, err = cli("graph", str(nasty), "-o", str(out))
    assert status == 0, err
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<script" not in svg and "&lt;script&gt;" in svg
    png = tmp_path / "g.png"
    assert cli("graph", "billing_double_charge", "-o", str(png))[0] == 0
    assert png.read_bytes().startswith(b"\x89PNG")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_parses_the_dot_of_every_bundled_scenario():
    for entry in Library().entries().values():
        proc = subprocess.run(["dot", "-Tsvg"], input=to_dot(entry.scenario).encode(), capture_output=True)
        assert proc.returncode == 0, (entry.id, proc.stderr)


def test_without_graphviz_svg_is_refused_clearly(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(graph.shutil, "which", lambda name: None)
    status, out, err = cli("graph", "billing_double_charge", "-o", str(tmp_path / "g.svg"))
    assert status == 1 and out == ""
    assert "Graphviz" in err and ".dot or .mmd" in err and "Traceback" not in err
    assert not (tmp_path / "g.svg").exists()


def test_text_formats_by_suffix_and_unknown_suffix(cli, tmp_path):
    sc = Library().get("billing_double_charge").scenario
    assert cli("graph", "billing_double_charge", "-o", str(tmp_path / "g.dot"))[0] == 0
    assert (tmp_path / "g.dot").read_text() == to_dot(sc)
    assert cli("graph", "billing_double_charge", "-o", str(tmp_path / "g.mmd"))[0] == 0
    assert (tmp_path / "g.mmd").read_text() == to_mermaid(sc)
    status, _, err = cli("graph", "billing_double_charge", "-o", str(tmp_path / "g.pdf"))
    assert status == 1 and ".mmd" in err


def test_every_node_and_option_appears(scenario):
    sc = Library().get("billing_double_charge").scenario
    dot = to_dot(sc)
    for node in sc.nodes:
        assert f'"{node.id}" [label=' in dot
        for o in node.options:
            assert f"{o.id}: " in dot


def test_threat_abuse_and_narration_nodes_are_marked_and_anger_changes_shown():
    from simulator.library import Library

    lib = Library()
    flagged = [(e.scenario, n) for e in lib.entries().values() for n in e.scenario.nodes if n.line.threat or n.line.abuse or n.narration]
    kinds = {k for _, n in flagged for k, on in (("threat", n.line.threat), ("abuse", n.line.abuse), ("narration", n.narration)) if on}
    assert kinds == {"threat", "abuse", "narration"}
    for sc, node in flagged:
        dot, mmd = to_dot(sc), to_mermaid(sc)
        line = next(ln for ln in dot.splitlines() if ln.startswith(f'  "{node.id}" [label='))
        if node.line.threat:
            assert "[threat]" in line and 'color="#c0392b", penwidth=3' in line
        elif node.line.abuse:
            assert "[abuse]" in line and 'color="#d35400", penwidth=3' in line
        if node.narration:
            assert "[narration]" in line and "dashed" in line
        idx = [n.id for n in sc.nodes].index(node.id)
        for k in ("threat", "abuse", "narration"):
            assert (f"  class n{idx} {k}" in mmd) == (k in line)


def test_each_edge_shows_the_anger_change_it_brings():
    from simulator.engine import choose, start
    from simulator.library import Library

    sc = Library().get("billing_double_charge").scenario
    dot = to_dot(sc)
    # the first node's options, played first: the label's number is the engine's own change
    state = start(sc)
    node = sc.node(sc.start)
    for o in node.options:
        if o.anger_delta is not None:
            assert f"anger {o.anger_delta:+g} (set)" in dot
            continue
        after = choose(sc, state, o.id).anger
        label = re.search(rf"{o.id}: [^\]]*\] anger ([+-][\d.]+) first time", dot)
        assert label, o.id
        if 0 < after < 100:
            assert float(label.group(1)) == round(after - state.anger, 1), o.id
        else:  # the engine clamps at 0 and 100; the label shows the reaction itself
            assert abs(float(label.group(1))) >= abs(after - state.anger), o.id


# ---------------------------------------------------------------- a part of the graph: --from NODE --depth K


def _successors(sc):
    out = {}
    for node in sc.nodes:
        for o in node.options:
            targets = ([o.goto] if o.goto else []) + [r.goto for r in o.routes or ()]
            out.setdefault(node.id, set()).update(targets)
    return out


def test_around_is_the_node_and_what_follows_it_within_k_choices():
    sc = Library().get("billing_double_charge").scenario
    nxt = _successors(sc)
    assert graph.around(sc, sc.start, 0) == {sc.start}
    assert graph.around(sc, sc.start, 1) == {sc.start} | nxt[sc.start]
    two = {sc.start} | nxt[sc.start] | {b for a in nxt[sc.start] for b in nxt.get(a, ())}
    assert graph.around(sc, sc.start, 2) == two
    everything = graph.around(sc, sc.start, 1000)
    assert graph.around(sc, sc.start, 2) < everything and sc.start in everything
    assert all(b in everything for a in everything for b in nxt.get(a, ()))  # closed under following a choice


def test_a_part_draws_its_nodes_and_stubs_where_it_leaves_off(cli, tmp_path):
    sc = Library().get("billing_double_charge").scenario
    keep = graph.around(sc, sc.start, 1)
    dot = to_dot(sc, keep)
    declared = set(re.findall(r'^  "([^"]+)" \[', dot, re.M))
    outside = {b for a in keep for b in _successors(sc).get(a, ()) if b not in keep}
    assert declared == set(keep) | {"more:" + b for b in outside} and outside
    for b in outside:
        assert f'"more:{b}" [label="{b} ...", style="dashed"' in dot
    mmd = to_mermaid(sc, keep)
    assert mmd.count("classDef more") == 1 and mmd.count(" ...\"]") == len(outside)
    assert cli("graph", "billing_double_charge", "--from", sc.start, "--depth", "1", "-o", str(tmp_path / "g.dot"))[0] == 0
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == dot
    if shutil.which("dot"):
        proc = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True)
        assert proc.returncode == 0, proc.stderr


def test_from_and_depth_mistakes_are_clear(cli, tmp_path):
    status, _, err = cli("graph", "billing_double_charge", "--from", "opne", "-o", str(tmp_path / "g.dot"))
    assert status == 1 and err == "defuse: billing_double_charge has no node 'opne' (did you mean 'open'?)\n"
    status, _, err = cli("graph", "billing_double_charge", "--depth", "2", "-o", str(tmp_path / "g.dot"))
    assert status == 1 and err == "defuse: --depth goes with --from NODE: the node to start drawing at\n"
    with pytest.raises(SystemExit) as e:
        cli("graph", "billing_double_charge", "--from", "open", "--depth", "-1", "-o", str(tmp_path / "g.dot"))
    assert e.value.code == 2
    assert not (tmp_path / "g.dot").exists()
