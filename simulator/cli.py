"""`defuse`: the command line. A thin shell: parse arguments, call the core, print, exit.

Exit status: 0 success, 1 the input was rejected or a check failed, 2 usage error.
With --json, stdout holds one JSON document and nothing else.
Subcommands beyond the core (play, authoring, reports) register themselves from their
own packages, so each front end owns its part of the command line.
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
from importlib import metadata
from typing import Callable

from scoring import score, step_label
from scoring.sources import source_title

from .actions import Action, parse_action
from .authoring.commands import register as authoring
from .authoring.formats import register as formats
from .cli_common import MAX_NAME, MAX_SEED, common_parser, emit_json, fail, library_from, open_store, protocols_parser, seed_arg, trainee_arg
from .completion import SHELLS
from .completion import render as completion_script
from .diagnostics import DefuseError, IllegalChoice, ScenarioError
from .library import protocol, protocol_problems, protocols, use_protocol_dirs
from .model import Transcript, Turn
from .play.commands import register as play
from .policies import parse_choices, parse_policy, play_policy
from .reports.commands import register as reports
from .session import Recorder
from .store import store_problem

# the helpers stay importable from here for callers of the old names; commands import them from cli_common
__all__ = ["main", "build_parser", "emit_json", "fail", "common_parser", "protocols_parser", "open_store", "library_from", "trainee_arg", "seed_arg", "MAX_SEED", "MAX_NAME"]


# ---------------------------------------------------------------- run


def _session_doc(state, scenario, trainee: str, session_id: str | None, protocol_id: str) -> dict:
    return {
        "id": session_id,
        "scenario": scenario.id,
        "revision": scenario.revision,
        "title": scenario.title,
        "trainee": trainee,
        "protocol": protocol_id,
        "seed": state.seed,
        "outcome": state.outcome.value if state.outcome else None,
        "complete": state.finished,
        "anger_start": state.anger_start,
        "anger_end": round(state.anger, 3),
        "anger_trace": [round(a, 3) for a in state.anger_trace],
        "turns": [t.to_dict() for t in state.turns],
    }


def cmd_run(args) -> int:
    lib = library_from(args)
    entry = lib.get(args.scenario)
    scenario = entry.scenario
    proto = protocol(args.protocol or scenario.protocol)
    store = None if args.no_save else open_store(args)
    rec = None
    try:
        rec = Recorder(scenario, proto, trainee=args.trainee, seed=args.seed, store=store, mode="scripted", source=(entry.source, entry.digest))
        unplayed: list[str] = []
        if args.choices is not None:
            choices = parse_choices(args.choices)
            for i, (option_id, early) in enumerate(choices):
                if rec.finished:
                    # a path that ends sooner than the trainer thought is worth knowing about
                    unplayed = [c + ("!" if e else "") for c, e in choices[i:]]
                    sys.stderr.write(
                        f"defuse: warning: the conversation ended ({rec.state.outcome.value}, at node {rec.state.node!r}) after "
                        f"{i} of {len(choices)} choices; not played: {', '.join(unplayed)}\n"
                    )
                    break
                rec.choose(option_id, interrupted=early)
        else:
            try:
                policy = parse_policy(args.policy)
            except ValueError as e:
                return fail(str(e))
            final = play_policy(scenario, policy, proto, args.seed)
            for t in final.turns:
                rec.choose(t.choice, interrupted=t.interrupted)  # a policy may cut in (random!0.3)
        result = rec.finish()
        doc = {"session": _session_doc(rec.state, scenario, args.trainee, rec.session_id, proto.id), "score": result.to_dict()}
        if unplayed:
            doc["unplayed"] = unplayed
    except sqlite3.Error as e:
        if rec is None or rec.session_id is None:
            return fail(f"the session store failed: {store_problem(e)}; nothing was saved")
        return fail(f"the session store failed at turn {len(rec.state.turns)}: {store_problem(e)}; session {rec.session_id} keeps the turns saved before it, marked incomplete")
    finally:
        if store is not None:
            store.close()
    if args.json:
        emit_json(doc)
    else:
        _print_run(doc)
    return 0


def _print_run(doc: dict) -> None:
    s, sc = doc["session"], doc["score"]
    print(f"{s['title']} ({s['scenario']} r{s['revision']}), trainee {s['trainee']}, seed {s['seed']}")
    for t in s["turns"]:
        flag = " [interrupted]" if t["interrupted"] else ""
        print(f"{t['index']:>3}. {t['node']}: {t['choice']}{flag}  anger {t['anger_before']:.0f} -> {t['anger_after']:.0f}  ({', '.join(t['actions'])})")
    print(f"outcome: {s['outcome'] or 'incomplete'}")
    _print_score(sc)


def _print_score(sc: dict) -> None:
    c = sc["components"]
    parts = ", ".join(f"{k} {v:.2f}" if v is not None else f"{k} n/a" for k, v in c.items())
    print(f"score: {sc['total']:.1f}/100 against {sc['protocol']} ({'PASS' if sc['passed'] else 'FAIL'}, pass mark {sc['pass_mark']:.0f}); {parts}")
    for st in sc["steps"]:
        mark = step_label(st)
        print(f"   [{'x' if st['performed'] else ' '}] {st['title']}{' *' if st['critical'] else ''}  {mark}")
    for f in sc["feedback"]:
        print(f" - {f['message']}")


# ---------------------------------------------------------------- score


def cmd_score(args) -> int:
    proto = protocol(args.protocol)
    names = [a for a in args.actions.split(",") if a.strip()]
    marked = {}
    for flag, text in (("--threat-at", args.threat_at), ("--abuse-at", args.abuse_at)):
        items = [x.strip() for x in text.split(",") if x.strip()]
        bad = [x for x in items if not x.isdigit() or not 1 <= int(x) <= len(names)]
        if bad:
            return fail(f"{flag}: {bad[0]!r} is not a turn of the log (1 to {len(names)})")
        marked[flag] = {int(x) for x in items}
    turns = []
    for i, name in enumerate(names, start=1):
        try:
            action = parse_action(name)
        except ValueError as e:
            return fail(f"{e} (valid: {', '.join(a.value for a in Action)})")
        turns.append(
            Turn(i, "", "", "", action.value, f"({action.value})", (action,), action == Action.INTERRUPT, 0.0, 0.0,
                 threat=i in marked["--threat-at"], abuse=i in marked["--abuse-at"])
        )
    result = score(Transcript(tuple(turns)), proto)
    if args.json:
        emit_json({"score": result.to_dict()})
    else:
        _print_score(result.to_dict())
    return 0


# ---------------------------------------------------------------- listings


def protocol_doc(p) -> dict:
    return {
        "id": p.id,
        "title": p.title,
        "source": p.source,
        "source_title": source_title(p.source),
        "summary": p.summary,
        "ordered": p.ordered,
        "pass_mark": p.pass_mark,
        "weights": p.weights.model_dump(),
        "safety": p.safety.message if p.safety else None,
        "safety_rule": (
            {"triggers": list(p.safety.triggers), "requires": p.safety.requires.value, "within": p.safety.within, "message": p.safety.message} if p.safety else None
        ),
        "steps": [
            {
                "id": s.id,
                "title": s.title,
                "description": s.description,
                "critical": s.critical,
                "actions": [a.value for a in s.actions],
                "after": p.direct_predecessors(s.id),
                "kind": s.kind,
                "when": s.when.value if s.when is not None else None,
                "lost_if": list(s.lost_if),
                "source_title": source_title(s.source.file) if s.source else None,
            }
            for s in p.steps
        ],
        "conduct": [{"action": c.action.value, "penalty": c.penalty} for c in p.conduct],
    }


def cmd_protocols(args) -> int:
    chosen = [protocol(args.id)] if args.id else list(protocols().values())
    for problem in protocol_problems():
        sys.stderr.write(str(problem) + "\n")
    docs = [protocol_doc(p) for p in chosen]
    if args.json:
        emit_json(docs[0] if args.id else docs)
        return 0
    for d in docs:
        print(f"{d['id']:<22} {d['title']}  ({len(d['steps'])} steps, {'ordered' if d['ordered'] else 'unordered'}, pass {d['pass_mark']:.0f}; from \"{d['source_title']}\")")
        if args.id:
            print(f"  {d['summary']}")
            for i, s in enumerate(d["steps"], 1):
                after = f" after {', '.join(s['after'])}" if s["after"] and (d["steps"][i - 2]["id"] not in s["after"] or len(s["after"]) > 1) else ""
                print(f"  {i:>2}. {s['title']}{' (critical)' if s['critical'] else ''}{after}: {_step_terms(s)}")
            rule = d["safety_rule"]
            if rule:
                when = "be the next answer" if rule["within"] == 1 else f"come within the next {rule['within']} answers"
                print(f"  safety: after a {' or '.join(rule['triggers'])}, {rule['requires']} must {when}, or the session fails: {rule['message']}")
            else:
                print("  safety: this protocol has no safety rule")
            for c in d["conduct"]:
                print(f"  conduct: {c['action']} costs {c['penalty'] * 100:g}% of conduct")
    return 0


_FACT_WORDS = {
    "abuse": "the customer was abusive",
    "abuse_persisted": "abuse went on after the first reply",
    "beyond_authority": "the customer asked for more than the trainee may give",
    "threat": "the customer made a threat",
    "hostile_persisted": "the customer stayed hostile from the third turn",
}


def _step_terms(s: dict) -> str:
    """A step's actions and its conditions, in words: what does it, when it applies, what undoes it."""
    acts = ", ".join(s["actions"])
    text = f"never {' or '.join(s['actions'])} (kept only if never done)" if s["kind"] == "avoid" else acts
    if s["when"]:
        text += f"; only when {_FACT_WORDS.get(s['when'], s['when'])} ({s['when']})"
    if s["lost_if"]:
        undo = ["a vent cut short" if x == "vent_cut" else x for x in s["lost_if"]]
        text += f"; lost again by {', '.join(undo)}"
    return text


def scenario_doc(entry) -> dict:
    sc = entry.scenario
    return {
        "id": sc.id,
        "revision": sc.revision,
        "title": sc.title,
        "summary": sc.summary,
        "setting": sc.setting.value,
        "industry": sc.industry,
        "path": str(entry.path),
        "protocol": sc.protocol,
        "persona": sc.persona.name,
        "anger": sc.persona.anger,
        "goals": list(sc.goals),
        "nodes": len(sc.nodes),
        "endings": sorted({n.end.value for n in sc.endings}),
    }


def cmd_scenarios(args) -> int:
    lib = library_from(args)
    docs = [scenario_doc(e) for e in lib.entries().values()]
    for problem in lib.problems:
        sys.stderr.write(str(problem) + "\n")
    if args.json:
        emit_json(docs)
        return 0
    for d in docs:
        print(f"{d['id']:<28} {d['title']}  [{d['setting']}, {d['industry']}, anger {d['anger']:.0f}, {d['nodes']} nodes, protocol {d['protocol']}]")
    return 0


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    common = common_parser()
    parser = argparse.ArgumentParser(
        prog="defuse", description="Defuse: practise talking an irate customer down, and get scored on the procedure."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}", help="print the version of defuse and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", parents=[common], help="a scripted playthrough, no window")
    p.add_argument("scenario", metavar="SCENARIO", help="a bundled scenario id or a path to a YAML file")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--choices", metavar="ID,ID!,...", help="option ids in order; a trailing ! = chosen while the customer spoke")
    how.add_argument("--policy", metavar="NAME", help="protocol | random | always:ACTION")
    p.add_argument("--seed", type=seed_arg, default=0, metavar="N", help="the session's seed: the order the options are shown in and the customer's noise (default 0)")
    p.add_argument("--protocol", metavar="ID", help="score against this protocol instead of the scenario's")
    p.add_argument("--trainee", type=trainee_arg, default="scripted", metavar="NAME", help="the name the session is recorded under (default: scripted)")
    p.add_argument("--no-save", action="store_true", help="do not write the session to the database")
    p.add_argument("--json", action="store_true", help="print the session and its score as one JSON document")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("score", parents=[protocols_parser()], help="score an action sequence logged by an observer (one action per turn)")
    p.add_argument("--protocol", required=True, metavar="ID", help="the protocol to score against (see `defuse protocols`)")
    p.add_argument("--actions", required=True, metavar="A,A,...", help="the trainee's actions, one per turn, in order (may be empty: nothing was done)")
    p.add_argument("--threat-at", default="", metavar="TURN,...", help="turns whose customer line was a threat (the safety rule then asks for seek_help in that turn)")
    p.add_argument("--abuse-at", default="", metavar="TURN,...", help="turns whose customer line was abusive (conditional steps such as drawing the line then apply)")
    p.add_argument("--json", action="store_true", help="print the score as one JSON document")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("protocols", parents=[protocols_parser()], help="list the protocols, or show one (steps, their conditions and order, the safety rule)")
    p.add_argument("id", nargs="?", metavar="ID", help="show this protocol in full (default: list them all)")
    p.add_argument("--json", action="store_true", help="print the protocols (or the one) as one JSON document")
    p.set_defaults(func=cmd_protocols)

    p = sub.add_parser("scenarios", parents=[common], help="list the installed scenarios")
    p.add_argument("--json", action="store_true", help="print the scenarios as one JSON document")
    p.set_defaults(func=cmd_scenarios)

    for register in _extensions():
        register(sub, common)

    # last, so that it sees every command registered above
    p = sub.add_parser("completion", help="print a shell completion script (bash, zsh or fish) for defuse")
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    p.set_defaults(func=lambda args: _print_completion(parser, args.shell))
    return parser


def _print_completion(parser: argparse.ArgumentParser, shell: str) -> int:
    sys.stdout.write(completion_script(parser, shell))
    return 0


def _version() -> str:
    try:
        return metadata.version("defuse")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown (not installed)"


def _extensions() -> list[Callable]:
    return [play, authoring, formats, reports]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:  # `defuse` alone opens the simulator
        argv = ["play"]
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    use_protocol_dirs(getattr(args, "protocols", None) or [])
    try:
        return int(args.func(args) or 0)
    except ScenarioError as e:
        sys.stderr.write(str(e) + "\n")
        return 1
    except IllegalChoice as e:
        return fail(str(e))
    except DefuseError as e:
        return fail(str(e))
    except sqlite3.Error as e:
        # the store failed mid-command (disk full, locked for over 30 s, damaged): one line, and
        # whatever was committed before stays (sessions are committed turn by turn)
        return fail(f"the session store failed: {store_problem(e)}; what was saved before this stays saved")
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
