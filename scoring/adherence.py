"""How a conversation is judged against a protocol: four components, a total, pass/fail
and a feedback line for every deduction.

- coverage: weighted share of the protocol's steps performed (critical steps weigh more);
- order: 1 - D/N over the precedence pairs whose steps were both performed, D of them the
  wrong way round (first occurrences; a tie is not discordant; 1 when N is 0);
- conduct: 1 - the penalties of the harmful actions used, floored at 0;
- outcome: the ending's value (60%) and how far anger fell (40%).
A component that cannot apply (order for an unordered protocol, outcome for an observer's
action log with no ending) is left out and the remaining weights are rescaled.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from simulator.actions import Action
from simulator.model import Transcript

from .protocol import Protocol

__all__ = ["score", "Score", "StepResult", "Feedback", "order_component"]


@dataclass(frozen=True)
class StepResult:
    id: str
    title: str
    critical: bool
    performed: bool
    turn: int | None


@dataclass(frozen=True)
class Feedback:
    step: str | None
    turn: int | None
    message: str
    kind: str = "step"  # step | order | conduct | safety | outcome


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
    sequence: tuple[str, ...]  # step ids in the order they were first performed

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
        }


def _quote_said(t) -> str:
    said = t.said if len(t.said) <= 70 else t.said[:67] + "..."
    return f'turn {t.index} ("{said}")'


def order_component(first: dict[str, int], pairs) -> tuple[float, list[tuple[str, str]]]:
    """1 - D/N over the pairs with both steps performed, and the discordant pairs."""
    relevant = [(a, b) for a, b in pairs if a in first and b in first]
    wrong = sorted((a, b) for a, b in relevant if first[a] > first[b])
    if not relevant:
        return 1.0, []
    return 1.0 - len(wrong) / len(relevant), wrong


def score(transcript: Transcript, protocol: Protocol) -> Score:
    """Judge one conversation against one protocol (any session, any protocol, any time)."""
    turns = transcript.turns
    feedback: list[Feedback] = []

    # first turn at which each step was performed
    first: dict[str, int] = {}
    first_turn = {}
    for t in turns:
        acts = set(t.actions)
        for s in protocol.steps:
            if s.id not in first and acts.intersection(s.actions):
                first[s.id] = t.index
                first_turn[s.id] = t

    steps = tuple(StepResult(s.id, s.title, s.critical, s.id in first, first.get(s.id)) for s in protocol.steps)
    weight = {s.id: (protocol.critical_weight if s.critical else 1.0) for s in protocol.steps}
    coverage = sum(weight[s] for s in first) / sum(weight.values())
    for s in protocol.steps:
        if s.id not in first:
            how = " (a critical step)" if s.critical else ""
            hint = s.missed or f"Next time, make room for it: {s.description}"
            feedback.append(Feedback(s.id, None, f"Missed '{s.title}'{how}. {hint}"))

    order: float | None = None
    if protocol.ordered:
        order, wrong = order_component(first, protocol.precedence)
        by_late: dict[str, list[str]] = {}
        for a, b in wrong:
            by_late.setdefault(b, []).append(a)
        for b, befores in sorted(by_late.items(), key=lambda kv: first[kv[0]]):
            t = first_turn[b]
            names = ", ".join(f"'{protocol.step(a).title}' (turn {first[a]})" for a in sorted(befores, key=first.get))
            feedback.append(
                Feedback(b, t.index, f"Out of order at {_quote_said(t)}: '{protocol.step(b).title}' came before {names}.", "order")
            )

    penalties = 0.0
    for t in turns:
        for a in t.actions:
            rule = protocol.penalty_for(a)
            if rule is None:
                continue
            penalties += rule.penalty
            step_hint = _step_for_conduct(protocol, a)
            feedback.append(Feedback(step_hint, t.index, f"At {_quote_said(t)}: {rule.message} (-{rule.penalty:.2f} conduct)", "conduct"))
    conduct = max(0.0, 1.0 - penalties)

    outcome: float | None = None
    if transcript.outcome is not None:
        value = protocol.outcome_value(transcript.outcome)
        fall = 0.0
        if transcript.anger_start is not None and transcript.anger_end is not None and transcript.anger_start > 0:
            fall = min(1.0, max(0.0, (transcript.anger_start - transcript.anger_end) / transcript.anger_start))
        outcome = 0.6 * value + 0.4 * fall
        if outcome < 0.999:
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
    else:
        outcome = None

    safety_broken = False
    if protocol.safety is not None:
        for i, t in enumerate(turns):
            flagged = ("threat" in protocol.safety.triggers and t.threat) or ("abuse" in protocol.safety.triggers and t.abuse)
            if flagged and not any(protocol.safety.requires in u.actions for u in turns[i:]):
                safety_broken = True
                feedback.append(Feedback(None, t.index, f"Safety rule broken after the customer's line at turn {t.index}: {protocol.safety.message}", "safety"))
                break

    components = {"coverage": coverage, "order": order, "conduct": conduct, "outcome": outcome}
    weights = protocol.weights.model_dump()
    used = {k: w for k, w in weights.items() if components[k] is not None and w > 0}
    total_w = sum(used.values())
    total = 100.0 * sum(components[k] * w for k, w in used.items()) / total_w if total_w else 0.0
    total = round(total, 2)
    critical_missed = tuple(s.id for s in protocol.steps if s.critical and s.id not in first)
    passed = total >= protocol.pass_mark and not critical_missed and not safety_broken
    if total < protocol.pass_mark:
        feedback.append(Feedback(None, None, f"Total {total:.1f} is below the pass mark of {protocol.pass_mark:.0f}.", "outcome"))
    rounded = {k: (round(v, 4) if v is not None else None) for k, v in components.items()}
    sequence = tuple(sorted(first, key=lambda s: (first[s], [p.id for p in protocol.steps].index(s))))
    feedback.sort(key=lambda f: (f.turn is None, f.turn or 0))
    return Score(protocol.id, total, passed, rounded, steps, tuple(feedback), protocol.pass_mark, safety_broken, critical_missed, sequence)


def _step_for_conduct(protocol: Protocol, action: Action) -> str:
    """The conduct rule is named after its action: the protocol 'step' a deduction belongs to."""
    return f"conduct:{action.value}"
