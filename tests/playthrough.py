"""Sessions for tests, played through the real Recorder and store (never hand-written rows)."""
from __future__ import annotations

from functools import lru_cache

from simulator import cli_common
from simulator.library import Library, protocol
from simulator.model import Scenario
from simulator.play import terminal
from simulator.session import Recorder
from simulator.store import Store

__all__ = ["BY_THE_BOOK", "bundled", "play", "play_in_terminal"]

# billing_double_charge played by the book (it passes ten_step)
BY_THE_BOOK = ["breathe_listen", "keep_listening", "paraphrase", "apologize", "ask_cause", "found_it", "confirm", "process", "follow_up", "log_it", "think_back"]


def play_in_terminal(args, console=None, source=None) -> int:
    """The terminal front end as `defuse play --text` runs it: handed the library and the store
    (none with --no-save), which is closed afterwards."""
    store = None if args.no_save else cli_common.open_store(args)
    try:
        return terminal.play(args, cli_common.library_from(args), store, console, source=source)
    finally:
        if store is not None:
            store.close()


@lru_cache(maxsize=None)
def bundled(scenario_id: str = "billing_double_charge") -> Scenario:
    """A bundled scenario, loaded once (scenarios are immutable values)."""
    return Library().get(scenario_id).scenario


def play(
    store: Store, trainee: str, choices: list[str], *, finish: bool = True, scenario: Scenario | None = None, mode: str = "text"
) -> Recorder:
    """Play option ids (a trailing ! = chosen while the customer spoke); finish=False leaves it incomplete.

    The session is recorded as practice in the terminal (`mode="text"`) unless told otherwise.
    """
    scenario = scenario or bundled()
    rec = Recorder(scenario, protocol(scenario.protocol), trainee=trainee, store=store, mode=mode)
    for c in choices:
        rec.choose(c.rstrip("!"), interrupted=c.endswith("!"))
    if finish:
        rec.finish()
    return rec
