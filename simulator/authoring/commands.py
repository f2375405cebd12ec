"""Subcommands this package adds to `defuse` (see simulator.cli; shared helpers in simulator.cli_common): validate, lint, schema,
graph, analyze, new, test. Thin: parse, call the module that does the job, print or write."""
from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from ..cli_common import emit_json, fail, library_from, protocols_parser, seed_arg
from ..files import FileError, check_output
from ..library import protocol, protocol_path
from ..translations import stale_translations
from . import graph
from .analyze import GAMING_LIMIT, analyze
from .lint import lint
from .playtest import run_tests
from .schema import protocol_schema, render, scenario_schema
from .search import BUDGET
from .starter import SCHEMA_FILE, starter
from .validate import check_paths

__all__ = ["register", "MAX_IMAGE_NODES"]

MAX_IMAGE_NODES = 1000  # nodes `graph` lays out as SVG or PNG
MAX_DEPTH = 1000  # `graph --depth`: choices ahead of --from


def register(sub, common) -> None:
    """Add this package's subcommands to the `defuse` parser."""
    p = sub.add_parser("validate", parents=[protocols_parser()], help="check scenario (or protocol) files; every error as path:line:col: CODE message")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (searched for *.yaml, *.yml)")
    p.add_argument("--json", action="store_true", help="a JSON list of diagnostics")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("lint", parents=[protocols_parser()], help="validate, then warn about reachability, dead ends, gameable or unwinnable scoring")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (searched for *.yaml, *.yml)")
    p.add_argument("--json", action="store_true", help="a JSON list of diagnostics")
    p.add_argument("--warn-only", action="store_true", help="exit 0 when there are warnings but no errors")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("test", parents=[protocols_parser()], help="play every scenario's own `tests:` block; each failure as path:line:col: T001 message")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (searched for *.yaml, *.yml)")
    p.add_argument("--json", action="store_true", help="one JSON document: every test's result and every diagnostic")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("schema", help="the JSON Schema (draft-07) of scenario files, for editors")
    p.add_argument("-o", "--output", metavar="FILE", help="write it here instead of printing it")
    p.add_argument("--protocol", action="store_true", help="the schema of protocol files instead")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("graph", parents=[common], help="the branch graph: .dot, .mmd (Mermaid), .svg or .png (Graphviz)")
    p.add_argument("scenario", metavar="SCENARIO", help="a scenario id or a path to a YAML file")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the format follows the suffix: .dot .gv .mmd .svg .png")
    p.add_argument("--from", dest="from_node", metavar="NODE", help="draw only this node and what follows it (see --depth)")
    p.add_argument("--depth", type=_depth, default=None, metavar="K", help=f"with --from: how many choices ahead to draw (0 to {MAX_DEPTH}; default 3)")
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser("analyze", parents=[common], help="simulated playthroughs under several policies")
    p.add_argument("scenario", metavar="SCENARIO", help="a scenario id or a path to a YAML file")
    p.add_argument("--runs", type=_positive, default=1000, metavar="N", help="runs per policy (default 1000)")
    p.add_argument("--seed", type=seed_arg, default=0, metavar="N", help="seed of the first run (run i uses seed N+i)")
    p.add_argument("--protocol", metavar="ID", help="score against this protocol instead of the scenario's")
    p.add_argument("--search-budget", type=_positive, default=None, metavar="N", help="states the best/worst search may expand per direction")
    p.add_argument("--progress", action="store_true", help="show progress on stderr even when it is not a terminal")
    p.add_argument("--json", action="store_true", help="print every policy's results as one JSON document")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("new", help="a commented starter scenario")
    p.add_argument("name", metavar="NAME", help="the scenario's title (its id is made from it)")
    p.add_argument("-o", "--output", metavar="FILE", help="write it here (refuses to overwrite) instead of printing it")
    p.set_defaults(func=cmd_new)


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _write(path: str, data: bytes, overwrite: bool = True) -> str | None:
    """Write the file; an error message instead of a traceback when it cannot be written.
    Only a regular file is ever replaced (never a symlink, a device or a folder)."""
    try:
        check_output(path)
    except FileError as e:
        return str(e)
    try:
        with open(path, "wb" if overwrite else "xb") as fh:
            fh.write(data)
    except FileExistsError:
        return f"{path} already exists; choose another name or remove it first"
    except OSError as e:
        return f"cannot write {path}: {e.strerror or e}"
    return None


def _report(diagnostics, as_json: bool) -> None:
    if as_json:
        emit_json([d.to_dict() for d in diagnostics])
    else:
        for d in diagnostics:
            print(d)


def _summary(diagnostics, files: int) -> None:
    errors = sum(d.severity.value == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    sys.stderr.write(f"{files} file{'s' if files != 1 else ''} checked: {errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}\n")


def cmd_validate(args) -> int:
    checked = check_paths(args.paths, keep=False)
    if not checked:
        return fail("no .yaml or .yml files found in " + ", ".join(args.paths))
    diags = [d for c in checked for d in c.diagnostics]
    _report(diags, args.json)
    _summary(diags, len(checked))
    return 1 if diags else 0


def cmd_lint(args) -> int:
    checked = check_paths(args.paths)
    if not checked:
        return fail("no .yaml or .yml files found in " + ", ".join(args.paths))
    diags = []
    # a protocol's translations are checked once: as a file linted, or as the protocol of a scenario linted
    translated = {Path(c.path).resolve() for c in checked if c.kind == "protocol"}
    for c in checked:
        diags.extend(c.diagnostics)
        if c.protocol is not None:
            diags.extend(stale_translations(c.path, c.protocol))
        if c.scenario is not None and c.document is not None:
            found = lint(c.scenario, c.document, protocol(c.scenario.protocol))
            found += [d for r in run_tests(c.scenario, protocol, c.document) for d in r.diagnostics]
            diags.extend(sorted(found))
            diags.extend(stale_translations(c.path, c.scenario))
            used = protocol_path(c.scenario.protocol)
            if used is not None and used.resolve() not in translated:
                translated.add(used.resolve())
                diags.extend(stale_translations(used, protocol(c.scenario.protocol)))
    _report(diags, args.json)
    _summary(diags, len(checked))
    errors = any(d.severity.value == "error" for d in diags)
    return 1 if errors or (diags and not args.warn_only) else 0


def cmd_test(args) -> int:
    checked = check_paths(args.paths)
    if not checked:
        return fail("no .yaml or .yml files found in " + ", ".join(args.paths))
    diags, results, untested = [], [], []
    for c in checked:
        diags.extend(c.diagnostics)
        if c.kind != "scenario" or c.scenario is None:
            continue
        runs = run_tests(c.scenario, protocol, c.document)
        if not runs:
            untested.append(c.path)
        for r in runs:
            diags.extend(r.diagnostics)
            results.append({"path": c.path, **r.to_dict()})
    if args.json:
        emit_json({"tests": results, "untested": untested, "diagnostics": [d.to_dict() for d in diags]})
    else:
        for d in diags:
            print(d)
    failed = sum(not r["ok"] for r in results)
    n = len(results)
    note = f"; no tests in {', '.join(untested)}" if untested else ""
    problems = len(diags) - sum(len(r["diagnostics"]) for r in results)
    broken = f"; {problems} file error{'s' if problems != 1 else ''}" if problems else ""
    sys.stderr.write(f"{n} test{'s' if n != 1 else ''} in {len(checked)} file{'s' if len(checked) != 1 else ''}: {n - failed} passed, {failed} failed{broken}{note}\n")
    return 1 if diags else 0


def cmd_schema(args) -> int:
    text = render(protocol_schema() if args.protocol else scenario_schema())
    if args.output:
        problem = _write(args.output, text.encode("utf-8"))
        return fail(problem) if problem else 0
    sys.stdout.write(text)
    return 0


def _depth(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= MAX_DEPTH:
        raise argparse.ArgumentTypeError(f"{value} is out of range: give 0 to {MAX_DEPTH}")
    return value


def cmd_graph(args) -> int:
    suffix = Path(args.output).suffix.lstrip(".").lower()
    entry = library_from(args).get(args.scenario)
    sc = entry.scenario
    keep = None
    if args.depth is not None and args.from_node is None:
        return fail("--depth goes with --from NODE: the node to start drawing at")
    if args.from_node is not None:
        ids = [n.id for n in sc.nodes]
        if args.from_node not in ids:
            near = difflib.get_close_matches(args.from_node, ids, n=1)
            return fail(f"{args.scenario} has no node {args.from_node!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
        keep = graph.around(sc, args.from_node, 3 if args.depth is None else args.depth)
    nodes = len(sc.nodes) if keep is None else len(keep)
    if suffix in ("svg", "png") and nodes > MAX_IMAGE_NODES:
        # Graphviz's layout grows much faster than the graph: thousands of nodes take minutes
        part = "this part of " if keep is not None else ""
        return fail(
            f"{part}{args.scenario} has {nodes} nodes, more than an image layout handles (at most {MAX_IMAGE_NODES}):"
            f" draw a part with --from NODE --depth K, or write {Path(args.output).with_suffix('.dot').name} or .mmd"
            " and view it with a tool made for large graphs"
        )
    data = graph.render(sc, suffix or "?", keep)
    problem = _write(args.output, data)
    return fail(problem) if problem else 0


def cmd_analyze(args) -> int:
    entry = library_from(args).get(args.scenario)
    proto = protocol(args.protocol or entry.scenario.protocol)
    show = args.progress or sys.stderr.isatty()
    report = analyze(entry.scenario, proto, args.runs, args.seed, _progress if show else None, args.search_budget or BUDGET)
    if show:
        sys.stderr.write("\n")
    if args.json:
        emit_json(report)
    else:
        _print_analysis(report)
    return 0


def _progress(done: int, total: int, label: str) -> None:
    sys.stderr.write(f"\ranalyze: {done * 100 // max(total, 1):3d}% ({done}/{total} runs) {label:<34}")
    sys.stderr.flush()


def _print_analysis(r: dict) -> None:
    print(f"{r['scenario']} r{r['revision']} against {r['protocol']} (pass mark {r['pass_mark']:g}); {r['runs']} runs per policy from seed {r['seed']}")
    print(f"{'policy':<34} {'runs':>6} {'mean':>6} {'min':>6} {'max':>6} {'pass':>7}  outcomes")
    for p in r["policies"]:
        mean = "-" if p["mean"] is None else f"{p['mean']:.1f}"
        lo = "-" if p["min"] is None else f"{p['min']:.1f}"
        hi = "-" if p["max"] is None else f"{p['max']:.1f}"
        outs = ", ".join(f"{k} {v}" for k, v in p["outcomes"].items())
        print(f"{p['policy']:<34} {p['runs']:>6} {mean:>6} {lo:>6} {hi:>6} {p['pass_rate'] * 100:>6.1f}%  {outs}")
    reach = r["reachable"]
    note = "" if reach["complete"] else f" (bounded search: {reach['explored_states']} states, not exhaustive)"
    for which in ("best", "worst"):
        f = reach[which]
        if f:
            print(f"{which} reachable score: {f['score']:.1f} ({f['outcome']}, {'pass' if f['passed'] else 'fail'}){note}: {', '.join(f['choices'])}")
    if not reach["passing_path_exists"]:
        print("no reachable path passes" + note)
    if r["gaming_policies"]:
        print("GAMEABLE: repeating one action passes: " + ", ".join(r["gaming_policies"]))
    if r["gamed_by"]:
        print(f"GAMEABLE: these model trainees pass more than {GAMING_LIMIT:.0%} of runs: " + ", ".join(r["gamed_by"]))
    g = r["best_gated"]
    if g:
        verdict = "PASSES (a bug in the rules)" if g["passed"] else "fails, as it must"
        print(f"best run failed by a gate (customer left, ending not accepted or safety broken): {g['score']:.1f} ({g['outcome']}, {g['policy']} seed {g['seed']}) {verdict}")
    if r["helped_by_repetition"]:
        print("repetition raises the pass rate above random play: " + ", ".join(r["helped_by_repetition"]))
    if r["losses"]:
        print("where random trainees lose most (anger added per run; customers who left after it):")
        for row in r["losses"]:
            print(f"  {row['node']:<24} +{row['anger_added_per_run']:<7.2f} {row['customer_left_after']:>6}  {row['line']}")


def cmd_new(args) -> int:
    text = starter(args.name)
    if args.output:
        problem = _write(args.output, text.encode("utf-8"), overwrite=False)
        if problem:
            return fail(problem)
        # the modeline names the schema beside the file: write it there unless one is already
        schema = Path(args.output).parent / SCHEMA_FILE
        also = ""
        if not schema.exists():
            problem = _write(str(schema), render(scenario_schema()).encode("utf-8"), overwrite=False)
            also = f" (and {schema} for your editor)" if problem is None else f" ({problem}: completion in your editor needs it)"
        sys.stderr.write(f"wrote {args.output}{also}: edit it, then `defuse validate {args.output}`, `defuse lint {args.output}` and `defuse test {args.output}`\n")
        return 0
    sys.stdout.write(text)
    return 0
