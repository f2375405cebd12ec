"""`defuse sessions`: the recorded sessions with their scores, from the flat summaries (a session
without a saved score is read and scored in full)."""
from __future__ import annotations

from simulator.cli_common import emit_json, open_store
from simulator.library import protocol

from .rows import judged, unusable
from .selection import chosen_protocol, left_out, selected, store_filters

__all__ = ["cmd_sessions"]


def cmd_sessions(args) -> int:
    override = chosen_protocol(args)
    problems: list[str] = []
    with open_store(args) as store:
        if override is None:
            items = list(_listings(store, args, problems))
        else:
            items = [_listing(j) for j in selected(store, args, override, problems)]
    if args.json:
        emit_json(items)
        return left_out(problems)
    if not items:
        print("no sessions match")
        return left_out(problems)
    print(f"{'session':<8}  {'started (UTC)':<20} {'trainee':<18} {'scenario':<26} {'outcome':<13} {'total':>6}  verdict")
    for d in items:
        verdict = ("PASS" if d["passed"] else "FAIL") if d["complete"] else "incomplete"
        scen = f"{d['scenario']} r{d['revision']}"
        print(f"{_clip(d['id'], 8):<8}  {_clip(d['started_at'], 20):<20} {_clip(d['trainee'], 18):<18} {_clip(scen, 26):<26} {d['outcome'] or '-':<13} {_total(d['total'])}  {verdict}")
    print(f"{len(items)} session(s), {sum(1 for d in items if d['passed'])} passed")
    return left_out(problems)


def _total(value) -> str:
    return f"{value:>6.1f}" if isinstance(value, (int, float)) else f"{'-':>6}"


def _clip(text: str, width: int) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _listings(store, args, problems: list[str]):
    """Listing entries from the summary scan; only a session without a saved score is read in full."""
    for sm in store.summaries(**store_filters(args)):
        if why := unusable(sm):
            problems.append(why)
            continue
        if not sm.scored:
            for j in judged([store.get(sm.id)], protocol, None, problems):
                if args.verdict is None or j.passed == args.verdict:
                    yield _listing(j)
            continue
        if args.verdict is not None and bool(sm.passed) != args.verdict:
            continue
        yield {
            "id": sm.id,
            "trainee": sm.trainee,
            "scenario": sm.scenario,
            "revision": sm.revision,
            "title": sm.title,
            "started_at": sm.started_at,
            "ended_at": sm.ended_at,
            "outcome": sm.outcome.value if sm.outcome else None,
            "complete": sm.complete,
            "turns": sm.turn_count,
            "protocol": sm.protocol,
            "total": sm.total,
            "passed": bool(sm.passed),
        }


def _listing(j) -> dict:
    s = j.session
    return {
        "id": s.id,
        "trainee": s.trainee,
        "scenario": s.scenario,
        "revision": s.revision,
        "title": s.title,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "outcome": s.outcome.value if s.outcome else None,
        "complete": s.complete,
        "turns": len(s.turns),
        "protocol": j.score["protocol"],
        "total": j.score["total"],
        "passed": bool(j.score["passed"]),
    }
