"""The score as numbers: one kernel for one session and for a hundred thousand at once.

`compile_protocol` turns a protocol into tables once (kept on the protocol object itself);
`judge` applies them to turn features laid out as arrays with one row per session and one
column per turn. The scorer (`adherence.score`) runs it on one row and writes the feedback
from what it returns; the batch simulator runs it on every simulated session. So each rule
of the score is written here once, and both paths give the same numbers bit for bit: every
sum over turns or steps is added column by column in a fixed order, whatever the row count.

The rules (docs/scoring.md explains each with an example):
- a step is credited only in a turn where the trainee was heard (not said over the customer);
- a `do` step is met when credited and not undone (`lost_if`: a vent cut short, an action);
- an `avoid` step (a prohibition) is kept when none of its actions is ever used, and earns
  credit only in proportion to the `do` steps met (holding back is not enough on its own);
- a step with `when` applies only if its fact arose; otherwise it leaves coverage and order;
- order = precedence pairs kept / all precedence pairs among applicable steps: nothing for
  one step or none; steps first met in the same turn are not discordant;
- conduct = the share of clean turns times the share of the procedure done, less penalties;
- outcome = 0.6 x the ending's value (0 when the ending is not acceptable, halved when the
  resolution rests on a promise the trainee cannot keep) + 0.4 x how far anger fell;
- a session passes only at the pass mark, with every applicable critical step met, the safety
  rule kept, and an acceptable ending (the customer leaving never is).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.actions import Action
from simulator.model import BAND_FLOORS, Band, Outcome

from .protocol import Fact, Protocol

__all__ = ["TurnArrays", "ProtocolTables", "Judgement", "compile_protocol", "judge", "outcome_score", "OUTCOMES", "FACTS", "action_bits", "RESPONSES_TO_ABUSE", "SCORING_VERSION", "HOSTILE", "HOSTILE_FROM_TURN"]

SCORING_VERSION = 2  # 1: round 1's rules; 2: context, conditions, gates, no free points
OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
FACTS: tuple[Fact, ...] = tuple(Fact)
_ACTIONS: tuple[Action, ...] = tuple(Action)
_BIT = {a: 1 << i for i, a in enumerate(_ACTIONS)}
HOSTILE = BAND_FLOORS[Band.HOSTILE]  # "still hostile" reads the anger bands' own floor
HOSTILE_FROM_TURN = 3
# What answers abuse: anything else, turn after turn, is absorbing it in silence.
RESPONSES_TO_ABUSE = frozenset({Action.DRAW_LINE, Action.TIME_OUT, Action.DELEGATE_UP, Action.DISENGAGE, Action.SEEK_HELP})
UNKEPT_PROMISE = 0.5  # what is left of an ending's value when it rests on an over-promise


def outcome_score(value, fall):
    """The outcome component from the ending's value and how far anger fell (both 0..1)."""
    return 0.6 * value + 0.4 * fall


def action_bits(actions) -> int:
    m = 0
    for a in actions:
        m |= _BIT[a]
    return m


@dataclass
class TurnArrays:
    """Turn features of R sessions, T turns wide (columns past a session's `n` are ignored)."""

    acts: np.ndarray  # uint64 [R, T]: the actions each turn counted as
    interrupted: np.ndarray  # bool [R, T]: said while the customer was still speaking
    venting: np.ndarray  # bool [R, T]
    threat: np.ndarray
    abuse: np.ndarray
    beyond: np.ndarray
    narration: np.ndarray
    anger_after: np.ndarray  # float [R, T]
    n: np.ndarray  # int [R]: turns played
    anger_start: np.ndarray  # float [R]
    anger_end: np.ndarray  # float [R]
    outcome: np.ndarray  # int [R]: index into OUTCOMES, -1 for no ending (an observer's log, an unfinished run)

    @classmethod
    def of_turns(cls, turns, outcome: Outcome | None, anger_start: float | None, anger_end: float | None = None) -> "TurnArrays":
        T = max(1, len(turns))
        a = np.zeros((1, T), dtype=np.uint64)
        flags = {k: np.zeros((1, T), dtype=bool) for k in ("interrupted", "venting", "threat", "abuse", "beyond", "narration")}
        anger = np.zeros((1, T), dtype=np.float64)
        for i, t in enumerate(turns):
            a[0, i] = np.uint64(action_bits(t.actions))
            flags["interrupted"][0, i] = t.interrupted
            flags["venting"][0, i] = t.venting or t.restarted_vent
            flags["threat"][0, i] = t.threat
            flags["abuse"][0, i] = t.abuse
            flags["beyond"][0, i] = t.beyond_authority
            flags["narration"][0, i] = t.narration
            anger[0, i] = t.anger_after
        start = float(anger_start) if anger_start is not None else (turns[0].anger_before if turns else 0.0)
        end = float(anger_end) if anger_end is not None else (turns[-1].anger_after if turns else start)
        return cls(
            acts=a,
            anger_after=anger,
            n=np.array([len(turns)], dtype=np.int64),
            anger_start=np.array([start], dtype=np.float64),
            anger_end=np.array([end], dtype=np.float64),
            outcome=np.array([OUTCOMES.index(outcome) if outcome is not None else -1], dtype=np.int64),
            **flags,
        )


class ProtocolTables:
    """A protocol as arrays: built once per protocol object."""

    def __init__(self, protocol: Protocol):
        steps = protocol.steps
        self.ids = [s.id for s in steps]
        S = len(steps)
        self.bits = np.array([action_bits(s.actions) for s in steps], dtype=np.uint64)
        self.avoid = np.array([s.kind == "avoid" for s in steps], dtype=bool)
        self.weight = np.array([protocol.critical_weight if s.critical else 1.0 for s in steps], dtype=np.float64)
        self.critical = np.array([s.critical for s in steps], dtype=bool)
        self.when = np.array([FACTS.index(s.when) if s.when is not None else -1 for s in steps], dtype=np.int64)
        self.lost_vent = np.array(["vent_cut" in s.lost_if for s in steps], dtype=bool)
        self.lost_bits = np.array([action_bits(Action(x) for x in s.lost_if if x != "vent_cut") for s in steps], dtype=np.uint64)
        index = {sid: i for i, sid in enumerate(self.ids)}
        self.pairs = [(index[a], index[b]) for a, b in sorted(protocol.precedence) if not self.avoid[index[a]] and not self.avoid[index[b]]]
        self.ordered = protocol.ordered
        self.penalty = np.array([(r.penalty if (r := protocol.penalty_for(a)) else 0.0) for a in _ACTIONS], dtype=np.float64)
        self.harmful_bits = np.uint64(action_bits(a for a in _ACTIONS if a.harmful))
        self.over_promise = np.uint64(_BIT[Action.OVER_PROMISE])
        self.absorbed = protocol.absorbed_abuse.penalty if protocol.absorbed_abuse else 0.0
        self.responses = np.uint64(action_bits(RESPONSES_TO_ABUSE))
        safety = protocol.safety
        self.trigger_threat = "threat" in safety.triggers
        self.trigger_abuse = "abuse" in safety.triggers
        self.helps = np.uint64(_BIT[safety.requires])
        self.within = safety.within
        endings = [protocol.ending(o) for o in OUTCOMES]
        self.end_value = np.array([e.value for e in endings], dtype=np.float64)
        self.end_never = np.array([not e.acceptable for e in endings], dtype=bool)
        self.end_when = np.array([FACTS.index(e.when) if e.when is not None else -1 for e in endings], dtype=np.int64)
        self.end_after = [[index[a] for a in e.after] for e in endings]
        w = protocol.weights
        self.w = {"coverage": w.coverage, "order": w.order if protocol.ordered else 0.0, "conduct": w.conduct, "outcome": w.outcome}
        self.pass_mark = protocol.pass_mark
        self.S = S


def compile_protocol(protocol: Protocol) -> ProtocolTables:
    """The protocol's tables, built on first use and kept on the protocol object."""
    return protocol.derived("tables", ProtocolTables)


@dataclass
class Judgement:
    """What the kernel found, per session (row) and step (column)."""

    facts: np.ndarray  # bool [R, F]
    applicable: np.ndarray  # bool [R, S]
    first: np.ndarray  # int [R, S]: turn the step was first credited (0: never)
    lost_at: np.ndarray  # int [R, S]: first turn of what undid it (0: nothing did)
    broken_at: np.ndarray  # int [R, S]: avoid steps: first turn that broke it (0: kept)
    met: np.ndarray  # bool [R, S]
    do_share: np.ndarray  # float [R]: weighted share of applicable `do` steps met
    coverage: np.ndarray
    order: np.ndarray  # NaN where it does not apply
    conduct: np.ndarray
    outcome: np.ndarray  # NaN where there is no ending
    penalties: np.ndarray
    absorbed: np.ndarray  # bool [R]: persistent abuse absorbed without an answer
    unkept_promise: np.ndarray  # bool [R]
    ending_ok: np.ndarray  # bool [R] (True where there is no ending to judge)
    safety_turn: np.ndarray  # int [R]: first flagged turn left unanswered (0: none)
    critical_missed: np.ndarray  # bool [R, S]
    total: np.ndarray  # float [R], rounded to 2 places
    passed: np.ndarray  # bool [R]


def judge(tables: ProtocolTables, t: TurnArrays) -> Judgement:
    R, T = t.acts.shape
    S = tables.S
    cols = np.arange(T)
    valid = cols[None, :] < t.n[:, None]
    turn_no = cols + 1

    # the facts the conditional advice needs
    abuse_turns = np.zeros(R, dtype=np.int64)
    for c in range(T):
        abuse_turns = abuse_turns + (valid[:, c] & t.abuse[:, c])
    hostile_late = (valid & (t.anger_after >= HOSTILE) & (turn_no[None, :] >= HOSTILE_FROM_TURN)).any(axis=1)
    facts = np.zeros((R, len(FACTS)), dtype=bool)
    facts[:, FACTS.index(Fact.ABUSE)] = abuse_turns >= 1
    facts[:, FACTS.index(Fact.ABUSE_PERSISTED)] = abuse_turns >= 2
    facts[:, FACTS.index(Fact.BEYOND_AUTHORITY)] = (valid & t.beyond).any(axis=1)
    facts[:, FACTS.index(Fact.THREAT)] = (valid & t.threat).any(axis=1)
    facts[:, FACTS.index(Fact.HOSTILE_PERSISTED)] = hostile_late
    applicable = np.ones((R, S), dtype=bool)
    for k in range(S):
        if tables.when[k] >= 0:
            applicable[:, k] = facts[:, tables.when[k]]

    heard = valid & ~t.interrupted
    vent_cut = valid & t.venting & t.interrupted
    first = np.zeros((R, S), dtype=np.int64)
    lost_at = np.zeros((R, S), dtype=np.int64)
    broken_at = np.zeros((R, S), dtype=np.int64)
    for k in range(S):
        hits = (t.acts & tables.bits[k]) != 0
        if tables.avoid[k]:
            broken_at[:, k] = _first_turn(valid & hits)
            continue
        first[:, k] = _first_turn(heard & hits)
        undo = (valid & ((t.acts & tables.lost_bits[k]) != 0)) | (vent_cut if tables.lost_vent[k] else False)
        lost_at[:, k] = _first_turn(undo)
    done = (first > 0) & (lost_at == 0) & ~tables.avoid[None, :]
    kept = (broken_at == 0) & tables.avoid[None, :]

    w = tables.weight
    do_total = np.zeros(R)
    do_met = np.zeros(R)
    avoid_total = np.zeros(R)
    avoid_kept = np.zeros(R)
    for k in range(S):
        a = applicable[:, k]
        if tables.avoid[k]:
            avoid_total = avoid_total + np.where(a, w[k], 0.0)
            avoid_kept = avoid_kept + np.where(a & kept[:, k], w[k], 0.0)
        else:
            do_total = do_total + np.where(a, w[k], 0.0)
            do_met = do_met + np.where(a & done[:, k], w[k], 0.0)
    do_share = np.where(do_total > 0, do_met / np.maximum(do_total, 1e-12), 0.0)
    all_total = do_total + avoid_total
    coverage = np.where(all_total > 0, (do_met + avoid_kept * do_share) / np.maximum(all_total, 1e-12), 0.0)
    met = (done | kept) & applicable

    order = np.full(R, np.nan)
    if tables.ordered and tables.pairs:
        n_pairs = np.zeros(R, dtype=np.int64)
        n_kept = np.zeros(R, dtype=np.int64)
        for a, b in tables.pairs:
            both_apply = applicable[:, a] & applicable[:, b]
            n_pairs = n_pairs + both_apply
            n_kept = n_kept + (both_apply & done[:, a] & done[:, b] & (first[:, a] <= first[:, b]))
        order = np.where(n_pairs > 0, n_kept / np.maximum(n_pairs, 1), np.nan)

    # conduct: clean turns, scaled by the procedure done, less the penalties in turn order
    clean = np.zeros(R)
    penalties = np.zeros(R)
    for c in range(T):
        v = valid[:, c]
        clean = clean + (v & ((t.acts[:, c] & tables.harmful_bits) == 0))
        bits = t.acts[:, c]
        for i in np.flatnonzero(tables.penalty):
            penalties = penalties + np.where(v & (((bits >> np.uint64(i)) & np.uint64(1)) == 1), tables.penalty[i], 0.0)
    answered_abuse = (valid & ((t.acts & tables.responses) != 0)).any(axis=1)
    absorbed = facts[:, FACTS.index(Fact.ABUSE_PERSISTED)] & ~answered_abuse & (tables.absorbed > 0)
    penalties = penalties + np.where(absorbed, tables.absorbed, 0.0)
    clean_share = np.where(t.n > 0, clean / np.maximum(t.n, 1), 0.0)
    conduct = np.maximum(0.0, clean_share * do_share - penalties)

    # the ending
    has_end = t.outcome >= 0
    oc = np.where(has_end, t.outcome, 0)
    ending_ok = ~tables.end_never[oc]
    need = tables.end_when[oc]
    ending_ok &= (need < 0) | facts[np.arange(R), np.maximum(need, 0)]
    for o, seq in enumerate(tables.end_after):
        if not seq:
            continue
        in_order = np.ones(R, dtype=bool)
        for x, y in zip(seq, seq[1:]):
            in_order &= done[:, x] & done[:, y] & (first[:, x] < first[:, y])
        if len(seq) == 1:
            in_order &= done[:, seq[0]]
        ending_ok &= (oc != o) | in_order
    ending_ok = ending_ok | ~has_end
    unkept_promise = (valid & ((t.acts & tables.over_promise) != 0)).any(axis=1)
    value = np.where(ending_ok, tables.end_value[oc], 0.0) * np.where(unkept_promise, UNKEPT_PROMISE, 1.0)
    anger_end = t.anger_end
    start = t.anger_start
    fall = np.where(start > 0, np.minimum(1.0, np.maximum(0.0, (start - anger_end) / np.where(start > 0, start, 1.0))), 0.0)
    outcome = np.where(has_end, outcome_score(value, fall), np.nan)

    # safety: each flagged line answered with help within `within` trainee turns (not after the call)
    flagged = valid & ((t.threat if tables.trigger_threat else False) | (t.abuse if tables.trigger_abuse else False))
    helps = valid & ~t.narration & ((t.acts & tables.helps) != 0)
    answered = np.zeros((R, T), dtype=bool)
    for d in range(tables.within):
        answered[:, : T - d] |= helps[:, d:]
    safety_turn = _first_turn(flagged & ~answered)

    comps = {"coverage": coverage, "order": order, "conduct": conduct, "outcome": outcome}
    acc = np.zeros(R)
    wsum = np.zeros(R)
    for k in ("coverage", "order", "conduct", "outcome"):
        wk = tables.w[k]
        if wk <= 0:
            continue
        c = comps[k]
        use = ~np.isnan(c)
        acc = acc + np.where(use, np.where(use, c, 0.0) * wk, 0.0)
        wsum = wsum + np.where(use, wk, 0.0)
    total = np.round(np.where(wsum > 0, 100.0 * acc / np.maximum(wsum, 1e-12), 0.0), 2)
    critical_missed = applicable & tables.critical[None, :] & ~met
    passed = (total >= tables.pass_mark) & ~critical_missed.any(axis=1) & (safety_turn == 0) & ending_ok
    return Judgement(
        facts, applicable, first, lost_at, broken_at, met, do_share, coverage, order, conduct, outcome, penalties,
        absorbed, unkept_promise, ending_ok, safety_turn, critical_missed, total, passed,
    )


def _first_turn(mask: np.ndarray) -> np.ndarray:
    """The 1-based column of the first True in each row (0 where there is none)."""
    anyhit = mask.any(axis=1)
    return np.where(anyhit, np.argmax(mask, axis=1) + 1, 0)
