"""One playthrough as the front ends drive it: the engine plus the session store.

Every front end (scripted run, terminal, window) plays through a `Recorder`, so every one
commits each turn as it happens and scores the same way. When the store fails mid-session
(disk full, locked, damaged) the session there keeps the turns saved so far, marked
incomplete, and the trainee may go on without saving: `detach` carries the recorder on with
nothing further written.
"""
from __future__ import annotations

import secrets
from dataclasses import replace

from scoring import Score, score
from scoring.protocol import Protocol

from .engine import choose, presented, start
from .model import Option, Scenario, State
from .store import Store
from .translations import protocol_in

__all__ = ["Recorder", "fresh_seed"]


def fresh_seed(seed: int | None) -> int:
    """`seed` if one was given, else a new one for this session (recorded with it, so a
    replay with `--seed` shows the same order)."""
    if seed is not None:
        return seed
    return secrets.randbelow(2**31)


class Recorder:
    def __init__(
        self,
        scenario: Scenario,
        protocol: Protocol,
        *,
        trainee: str = "trainee",
        seed: int = 0,
        store: Store | None = None,
        mode: str = "",
        language: str | None = None,
        source: tuple[str, str] | None = None,
    ):
        self.scenario = scenario
        self.protocol = protocol
        self.trainee = trainee
        self.store = store
        self.language = language  # None: the scenario's own language
        self.state: State = start(scenario, seed)
        self.session_id: str | None = None
        self.result: Score | None = None
        self.saved = 0  # turns committed to the store
        self.unsaved_after: int | None = None  # once detached: the turns the store keeps (nothing after them is written)
        if store is not None:
            self.session_id = store.begin(
                trainee=trainee,
                scenario=scenario.id,
                revision=scenario.revision,
                title=scenario.title,
                protocol=protocol.id,
                anger_start=self.state.anger,
                seed=seed,
                mode=mode,
                language=language,
                # where the scenario came from (its file) and a hash of that file
                scenario_source=source[0] if source else None,
                scenario_hash=source[1] if source else None,
            )

    @property
    def options(self) -> list[Option]:
        """The options offered now, in the order this session shows them (seeded; see engine.presented)."""
        return presented(self.scenario, self.state)

    @property
    def finished(self) -> bool:
        return self.state.finished

    def choose(self, option_id: str, *, interrupted: bool = False, elapsed: float | None = None, words: str | None = None) -> State:
        """Take a choice (raises IllegalChoice and records nothing if it is not allowed).

        `words` are the trainee's own words (typed or spoken) that picked the option; they
        are kept with the turn and never change what the choice counts as.
        """
        state = choose(self.scenario, self.state, option_id, interrupted=interrupted, elapsed=elapsed)
        if words is not None and words.strip():
            turn = replace(state.turns[-1], words=words.strip())
            state = replace(state, turns=state.turns[:-1] + (turn,))
        self.state = state
        if self.store is not None and self.session_id is not None:
            self.store.add_turn(self.session_id, self.state.turns[-1])  # a store failure leaves the turn taken, not saved
            self.saved += 1
        if self.state.finished:
            self.finish()
        return self.state

    @property
    def detached(self) -> bool:
        return self.unsaved_after is not None

    def detach(self) -> None:
        """Go on without the store (it failed): nothing further is written, and the session there
        keeps the turns saved so far, marked incomplete. Finishes the session if it had ended."""
        self.unsaved_after = self.saved  # 0 for a session the store never began (session_id None)
        self.store = None
        if self.state.finished:
            self.finish()

    def rescore(self, protocol: Protocol) -> Score:
        """The session judged against `protocol`, its feedback in the session's language."""
        return score(self.state.transcript(), protocol_in(protocol, self.language))

    def finish(self) -> Score:
        """Score the session and close it in the store (complete only if it reached an ending)."""
        if self.result is None:
            self.result = self.rescore(self.protocol)
            if self.store is not None and self.session_id is not None:
                self.store.finish(
                    self.session_id,
                    outcome=self.state.outcome,
                    anger_end=self.state.anger,
                    score=self.result.to_dict(),
                    complete=self.state.finished,
                )
        return self.result
