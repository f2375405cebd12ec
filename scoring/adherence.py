"""How a conversation is judged against a protocol: four components, a total, pass/fail
and a feedback line for every deduction.

The numbers come from `kernel.judge` (the same code the batch simulator runs on thousands of
sessions); this module turns one session's judgement into the debrief: a status for every
step, and a feedback line naming the step, the turn and what was said. The gates come first:
a customer who left, an ending this protocol does not accept, a broken safety rule.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from simulator.actions import Action
from simulator.model import Outcome, Transcript

from .kernel import FACTS, RESPONSES_TO_ABUSE, SCORING_VERSION, Judgement, TurnArrays, compile_protocol, judge
from .protocol import Fact, Protocol

__all__ = ["score", "Score", "StepResult", "Feedback", "SCORING_VERSION", "step_label", "fail_reasons"]

_FACT_WORDS = {
    Fact.ABUSE: "the customer was abusive",
    Fact.ABUSE_PERSISTED: "the abuse went on after your first reply",
    Fact.BEYOND_AUTHORITY: "the customer asked for more than you may give",
    Fact.THREAT: "the customer made a threat",
    Fact.HOSTILE_PERSISTED: "the customer stayed hostile",
}


@dataclass(frozen=True)
class StepResult:
    id: str
    title: str
    critical: bool
    performed: bool  # met (a do step done and not undone; a prohibition kept)
    turn: int | None  # the turn it was first credited (do steps)
    applicable: bool = True  # False: its condition never arose ("not needed here")
    status: str = "met"  # met | missed | lost | kept | broken | not needed
    kind: str = "do"
    at: int | None = None  # the turn that undid or broke it


def step_label(s) -> str:
    """How a step's result reads in a debrief: 'turn 3', 'kept', 'lost at turn 2', 'not needed here'..."""
    get = (lambda k, d=None: s.get(k, d)) if isinstance(s, dict) else (lambda k, d=None: getattr(s, k, d))
    status = get("status") or ("met" if get("performed") else "missed")
    if status == "met":
        return f"turn {get('turn')}"
    if status in ("lost", "broken") and get("at"):
        return f"{status} at turn {get('at')}"
    return {"not needed": "not needed here"}.get(status, status)


def fail_reasons(score: "Score") -> list[str]:
    """Why a session did not pass, gates first (empty when it passed)."""
    if score.passed:
        return []
    reasons = []
    if not score.ending_accepted:
        gate = next((f for f in score.feedback if f.kind == "outcome" and f.step is None), None)
        reasons.append("the customer left" if gate and "customer left" in gate.message else "the ending does not pass under this procedure")
    if score.safety_broken:
        reasons.append("the safety rule was broken")
    if score.critical_missed:
        n = len(score.critical_missed)
        reasons.append(f"{n} critical step{'s' if n > 1 else ''} missed")
    if score.total < score.pass_mark:
        reasons.append("below the pass mark")
    return reasons


@dataclass(frozen=True)
class Feedback:
    step: str | None
    turn: int | None
    message: str
    kind: str = "step"  # step | order | conduct | safety | outcome | trainer (the scenario's own note on an answer)


@dataclass(frozen=True)
class Score:
    protocol: str
    total: float
    passed: bool
    components: dict[str, float | None]
    steps: tuple[StepResult, ...]
    feedback: tuple[Feedback, ...]
    pass_mark: float
    safety_broken: bool
    critical_missed: tuple[str, ...]
    sequence: tuple[str, ...]  # step ids in the order they were first credited
    ending_accepted: bool = True
    scoring_version: int = SCORING_VERSION

    def to_dict(self) -> dict:
        return {
            "protocol": self.protocol,
            "total": self.total,
            "passed": self.passed,
            "pass_mark": self.pass_mark,
            "components": dict(self.components),
            "steps": [asdict(s) for s in self.steps],
            "feedback": [asdict(f) for f in self.feedback],
            "safety_broken": self.safety_broken,
            "critical_missed": list(self.critical_missed),
            "sequence": list(self.sequence),
            "ending_accepted": self.ending_accepted,
            "scoring_version": self.scoring_version,
        }


def _quote_said(t) -> str:
    said = t.said if len(t.said) <= 70 else t.said[:67] + "..."
    return f'turn {t.index} ("{said}")'


def _num(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def score(transcript: Transcript, protocol: Protocol) -> Score:
    """Judge one conversation against one protocol (any session, any protocol, any time)."""
    turns = transcript.turns
    tables = compile_protocol(protocol)
    j: Judgement = judge(tables, TurnArrays.of_turns(turns, transcript.outcome, transcript.anger_start, transcript.anger_end))
    by_index = {t.index: t for t in turns}

    def turn_at(col: int):
        return turns[col - 1] if 0 < col <= len(turns) else None

    gates: list[Feedback] = []
    feedback: list[Feedback] = []
    facts = {f: bool(j.facts[0, i]) for i, f in enumerate(FACTS)}

    # the gates, said first
    if transcript.outcome is not None and not bool(j.ending_ok[0]):
        gates.append(Feedback(None, turns[-1].index if turns else None, _ending_message(protocol, transcript.outcome, facts), "outcome"))
    if int(j.safety_turn[0]):
        t = turn_at(int(j.safety_turn[0]))
        what = "threat" if t is not None and t.threat else "line"
        helped = [u.index for u in turns if protocol.safety.requires in u.actions]
        late = f" Help came only at turn {helped[0]}{' (after the call)' if turn_at(helped[0]) is not None and turn_at(helped[0]).narration else ''}." if helped else " Help was never sought."
        within = "in your answer to it" if protocol.safety.within == 1 else f"within {protocol.safety.within} turns"
        gates.append(
            Feedback(None, t.index if t else None, f"Safety rule broken: the customer's {what} at turn {t.index if t else '?'} had to be answered by seeking help {within}.{late} {protocol.safety.message}", "safety")
        )

    steps: list[StepResult] = []
    for k, s in enumerate(protocol.steps):
        applicable = bool(j.applicable[0, k])
        first = int(j.first[0, k])
        if not applicable:
            steps.append(StepResult(s.id, s.title, s.critical, False, None, False, "not needed", s.kind))
            continue
        if s.kind == "avoid":
            broke = int(j.broken_at[0, k])
            if broke:
                t = turn_at(broke)
                steps.append(StepResult(s.id, s.title, s.critical, False, None, True, "broken", s.kind, t.index if t else None))
                feedback.append(Feedback(s.id, t.index if t else None, f"'{s.title}' was broken at {_quote_said(t)}: it holds for the whole conversation, so one lapse loses it."))
            else:
                steps.append(StepResult(s.id, s.title, s.critical, True, None, True, "kept", s.kind))
            continue
        lost = int(j.lost_at[0, k])
        if first and not lost:
            steps.append(StepResult(s.id, s.title, s.critical, True, turn_at(first).index, True, "met", s.kind))
            continue
        how = " (a critical step)" if s.critical else ""
        if first and lost:
            t = turn_at(lost)
            cause = "you cut into the customer's vent" if t is not None and t.venting and t.interrupted else "of what you did"
            steps.append(StepResult(s.id, s.title, s.critical, False, turn_at(first).index, True, "lost", s.kind, t.index if t else None))
            feedback.append(Feedback(s.id, t.index if t else None, f"'{s.title}'{how} was lost at {_quote_said(t)} because {cause}: it has to hold for the whole conversation."))
            continue
        if lost:
            t = turn_at(lost)
            steps.append(StepResult(s.id, s.title, s.critical, False, None, True, "lost", s.kind, t.index if t else None))
        else:
            steps.append(StepResult(s.id, s.title, s.critical, False, None, True, "missed", s.kind))
        over = [u for u in turns if u.interrupted and set(u.actions) & set(s.actions)]
        hint = s.missed or f"Next time, make room for it: {s.description}"
        said_over = f" At {_quote_said(over[0])} you said it over the customer, so it did not count." if over else ""
        cond = f" It was needed because {_FACT_WORDS[s.when]}." if s.when is not None else ""
        feedback.append(Feedback(s.id, None, f"Missed '{s.title}'{how}.{cond}{said_over} {hint}"))

    first_of = {protocol.steps[k].id: int(j.first[0, k]) for k in range(len(protocol.steps)) if steps[k].status == "met" and steps[k].kind == "do"}
    if protocol.ordered:
        by_late: dict[str, list[str]] = {}
        for a, b in sorted(protocol.precedence):
            if a in first_of and b in first_of and first_of[a] > first_of[b]:
                by_late.setdefault(b, []).append(a)
        for b, befores in sorted(by_late.items(), key=lambda kv: first_of[kv[0]]):
            t = turn_at(first_of[b])
            names = ", ".join(f"'{protocol.step(a).title}' (turn {turn_at(first_of[a]).index})" for a in sorted(befores, key=first_of.get))
            feedback.append(Feedback(b, t.index, f"Out of order at {_quote_said(t)}: '{protocol.step(b).title}' came before {names}.", "order"))

    for t in turns:
        for a in t.actions:
            rule = protocol.penalty_for(a)
            if rule is not None:
                feedback.append(Feedback(f"conduct:{a.value}", t.index, f"At {_quote_said(t)}: {rule.message} (-{rule.penalty:.2f} conduct)", "conduct"))
    if bool(j.absorbed[0]) and protocol.absorbed_abuse is not None:
        last_abuse = max(t.index for t in turns if t.abuse)
        answers = ", ".join(sorted(a.value for a in RESPONSES_TO_ABUSE))
        feedback.append(
            Feedback("conduct:absorbed_abuse", last_abuse, f"The abuse went on turn after turn and was never answered ({answers}). {protocol.absorbed_abuse.message} (-{protocol.absorbed_abuse.penalty:.2f} conduct)", "conduct")
        )
    if bool(j.unkept_promise[0]) and transcript.outcome is not None:
        t = next(u for u in turns if Action.OVER_PROMISE in u.actions)
        feedback.append(Feedback(None, t.index, f"The ending rests on the promise at {_quote_said(t)}, which is not yours to keep: the outcome counts half.", "outcome"))

    outcome = _num(j.outcome[0])
    if outcome is not None and outcome < 0.999 and bool(j.ending_ok[0]):
        feedback.append(
            Feedback(
                None,
                turns[-1].index if turns else None,
                f"The conversation ended '{transcript.outcome.value}'"
                + (f", with anger going from {transcript.anger_start:.0f} to {transcript.anger_end:.0f}" if transcript.anger_end is not None and transcript.anger_start is not None else "")
                + f" (outcome {outcome:.2f} of 1).",
                "outcome",
            )
        )

    for t in turns:
        if t.feedback:
            feedback.append(Feedback(None, t.index, f"Your trainer's note on {_quote_said(t)}: {t.feedback}", "trainer"))

    total = float(j.total[0])
    critical_missed = tuple(s.id for k, s in enumerate(protocol.steps) if bool(j.critical_missed[0, k]))
    if total < protocol.pass_mark:
        feedback.append(Feedback(None, None, f"Total {total:.1f} is below the pass mark of {protocol.pass_mark:.0f}.", "outcome"))
    components = {
        "coverage": round(float(j.coverage[0]), 4),
        "order": None if not protocol.ordered or _num(j.order[0]) is None else round(float(j.order[0]), 4),
        "conduct": round(float(j.conduct[0]), 4),
        "outcome": None if outcome is None else round(outcome, 4),
    }
    order_ids = [s.id for s in protocol.steps]
    sequence = tuple(sorted(first_of, key=lambda s: (first_of[s], order_ids.index(s))))
    feedback.sort(key=lambda f: (f.turn is None, f.turn or 0))
    del by_index
    return Score(
        protocol.id, total, bool(j.passed[0]), components, tuple(steps), tuple(gates + feedback), protocol.pass_mark,
        bool(j.safety_turn[0]), critical_missed, sequence, bool(j.ending_ok[0]),
    )


def _ending_message(protocol: Protocol, outcome: Outcome, facts: dict[Fact, bool]) -> str:
    ending = protocol.ending(outcome)
    if outcome == Outcome.CUSTOMER_LEFT:
        return "The customer left before the problem was settled: a conversation the customer walks out of cannot pass, whatever else went well."
    if outcome == Outcome.GAVE_IN:
        return "You gave in to a threat: that rewards the threat and is never a resolution. Seek help instead."
    if not ending.acceptable:
        return f"The conversation ended '{outcome.value}', which this procedure never accepts."
    if ending.when is not None and not facts[ending.when]:
        return f"The conversation ended '{outcome.value}', which this procedure accepts only when {_FACT_WORDS[ending.when]}; that never happened here."
    names = " -> ".join(f"'{protocol.step(a).title}'" for a in ending.after)
    return f"The conversation ended '{outcome.value}' before {names} had been tried in that order, which this procedure asks for first."
