"""All anger dynamics in one place: how the customer reacts to what the trainee does.

The signs come from the source documents (listening through a vent lets anger fall,
interrupting a vent raises it, a hold without permission, arguing or answering in kind
raise it sharply, a solution works better once the root cause is known); the sizes are
the engine's defaults below, which a persona may override.

Every function works on numpy arrays of any leading shape, so the engine (one session)
and the batch simulator (many sessions at once) run the very same arithmetic and give
bit-identical results. Only exact operations (+, *, comparisons) touch anger, and
contributions are added in a fixed order, so a vector lane equals the scalar path.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from .actions import Action

__all__ = [
    "ACTIONS",
    "ACTION_INDEX",
    "DEFAULT_EFFECTS",
    "Dynamics",
    "Reactor",
    "unit_noise",
    "uniform",
    "HANG_UP",
]

ACTIONS: tuple[Action, ...] = tuple(Action)
ACTION_INDEX: dict[Action, int] = {a: i for i, a in enumerate(ACTIONS)}
HANG_UP = 100.0
MANNER = frozenset({Action.STAY_CALM})  # how the trainee carries themselves, not an utterance

# Anger change the first time an action is used (negative calms, positive inflames).
DEFAULT_EFFECTS: dict[Action, float] = {
    Action.PREPARE: -2.0,
    Action.STAY_CALM: -4.0,
    Action.LISTEN: -2.0,  # outside a vent; see Dynamics.vent_release and .stalling
    Action.ACKNOWLEDGE: -2.0,
    Action.VERIFY_UNDERSTANDING: -6.0,
    Action.EMPATHIZE: -8.0,
    Action.APOLOGIZE: -7.0,
    Action.ASK_CLARIFYING: -4.0,
    Action.ASK_WHAT_THEY_WANT: -5.0,
    Action.OFFER_SOLUTION: -8.0,  # scaled by root_cause_bonus / no_root_cause
    Action.GET_AGREEMENT: -5.0,
    Action.TAKE_ACTION: -10.0,
    Action.EXPLAIN_NEXT_STEPS: -5.0,
    Action.FOLLOW_UP: -3.0,
    Action.CONCLUDE: -2.0,
    Action.DOCUMENT: 0.0,
    Action.REFLECT: 0.0,
    Action.TIME_OUT: -6.0,
    Action.DELEGATE_UP: -10.0,
    Action.DRAW_LINE: -6.0,  # only when answering abuse; otherwise Dynamics.needless_line
    Action.DISENGAGE: 0.0,
    Action.SEEK_HELP: 0.0,
    Action.SELF_CARE: 0.0,
    Action.INTERRUPT: 8.0,
    Action.ARGUE: 15.0,
    Action.BLAME_CUSTOMER: 18.0,
    Action.TAKE_PERSONALLY: 20.0,
    Action.DISMISS: 12.0,
    Action.NEGATIVE_LANGUAGE: 8.0,
    Action.OVER_PROMISE: -4.0,  # feels good now; the cost shows in the score, not the mood
    Action.HOLD_WITHOUT_PERMISSION: 20.0,
    Action.BLIND_TRANSFER: 15.0,
}


@dataclass(frozen=True)
class Dynamics:
    """Parameters of the anger model; a persona's `dynamics` mapping overrides any of them."""

    decay: float = 0.6  # each repeat of a calming action is worth this fraction of the last
    impatience_after: float = 2.0  # repeats of the same calming action tolerated ...
    impatience: float = 2.5  # ... then each further repeat adds this much anger
    vent_release: float = -6.0  # listening through a vent
    vent_interrupt: float = 4.0  # extra anger when a vent is cut short
    restart_penalty: float = 3.0  # a tape-recorder customer starting the speech again
    stalling: float = 3.0  # silence when the customer is waiting for an answer
    root_cause_bonus: float = 1.5  # an offered solution once the cause was asked about
    no_root_cause: float = 0.4  # ... and before
    needless_line: float = 6.0  # drawing a line on someone who was not abusive

    @classmethod
    def with_overrides(cls, overrides: dict[str, float]) -> "Dynamics":
        known = {f.name for f in fields(cls)}
        return replace(cls(), **{k: float(v) for k, v in overrides.items() if k in known})

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


class Reactor:
    """A persona's reaction table, ready to apply to one session or to many at once."""

    def __init__(self, reactions: dict[Action, float] | None = None, dynamics: Dynamics | None = None, noise: float = 0.0):
        self.dynamics = dynamics or Dynamics()
        effects = dict(DEFAULT_EFFECTS)
        effects.update(reactions or {})
        self.effects = np.array([effects[a] for a in ACTIONS], dtype=np.float64)
        self.noise = float(noise)
        self._calming = self.effects < 0
        # staying calm is a manner, not something said: repeating it never grates
        self._grates = self._calming & np.array([a not in MANNER for a in ACTIONS])

    def delta(
        self,
        chosen: np.ndarray,  # bool [..., A]: the actions of the chosen option
        counts: np.ndarray,  # int [..., A]: uses of each action before this turn
        venting: np.ndarray | bool,  # the customer's line was part of a vent
        abuse: np.ndarray | bool,  # the customer's line was abusive
        vent_broken: np.ndarray | bool,
        restarted: np.ndarray | bool,
    ) -> np.ndarray:
        """Anger change for one turn, before noise and clamping."""
        d = self.dynamics
        chosen = np.asarray(chosen, dtype=bool)
        counts = np.asarray(counts, dtype=np.float64)
        venting = np.asarray(venting, dtype=bool)
        abuse = np.asarray(abuse, dtype=bool)
        root_known = counts[..., ACTION_INDEX[Action.ASK_CLARIFYING]] > 0

        base = np.broadcast_to(self.effects, chosen.shape).copy()
        # Calming actions wear off with repetition, then start to grate.
        worn = base * d.decay ** counts
        grating = d.impatience * np.maximum(counts - d.impatience_after, 0.0)
        contrib = np.where(self._calming, worn + np.where(self._grates, grating, 0.0), base)

        li = ACTION_INDEX[Action.LISTEN]
        contrib[..., li] = np.where(venting, d.vent_release, np.where(counts[..., li] > 0, d.stalling, contrib[..., li]))
        oi = ACTION_INDEX[Action.OFFER_SOLUTION]
        contrib[..., oi] = contrib[..., oi] * np.where(root_known, d.root_cause_bonus, d.no_root_cause)
        di = ACTION_INDEX[Action.DRAW_LINE]
        contrib[..., di] = np.where(abuse, contrib[..., di], d.needless_line)

        contrib = np.where(chosen, contrib, 0.0)
        total = np.zeros(chosen.shape[:-1], dtype=np.float64)
        for i in range(len(ACTIONS)):  # fixed order: the same sum for one lane or many
            total = total + contrib[..., i]
        total = total + np.where(vent_broken, d.vent_interrupt, 0.0)
        total = total + np.where(restarted, d.restart_penalty, 0.0)
        return total

    def apply(self, anger: np.ndarray | float, delta: np.ndarray | float, noise: np.ndarray | float) -> np.ndarray:
        """New anger: old plus delta plus scaled noise, kept within 0..100."""
        return np.clip(np.asarray(anger, dtype=np.float64) + delta + self.noise * np.asarray(noise), 0.0, HANG_UP)


# ---------------------------------------------------------------- seeded randomness
# A counter-based generator (splitmix64) in numpy: the value for (seed, turn, stream) is the
# same whether one session asks for it or a batch of a hundred thousand does.

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def uniform(seed, turn, stream: int) -> np.ndarray:
    """A uniform number in [0, 1) for each (seed, turn) of the given stream."""
    s = np.asarray(seed).astype(np.uint64)
    t = np.asarray(turn).astype(np.uint64)
    with np.errstate(over="ignore"):
        x = _mix(_mix(s * np.uint64(1_000_003) + np.uint64(stream)) ^ t)
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def unit_noise(seed, turn) -> np.ndarray:
    """Roughly normal noise with mean 0 and variance 1 (a sum of four uniforms, rescaled)."""
    total = uniform(seed, turn, 11) + uniform(seed, turn, 12)
    total = total + uniform(seed, turn, 13)
    total = total + uniform(seed, turn, 14)
    return (total - 2.0) * 1.7320508075688772  # var of the sum is 4/12
