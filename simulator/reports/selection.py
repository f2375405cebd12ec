"""Which sessions an instructor's command works on: the filters as the store applies them, the
sessions with their scores (re-scored against --protocol when asked), the sessions left out,
and a progress bar for long runs on a terminal."""
from __future__ import annotations

import sys
from datetime import date, timedelta

from simulator.library import protocol

from .rows import judged

__all__ = ["filter_doc", "store_filters", "selected", "chosen_protocol", "count_for_bar", "progress_bar", "left_out"]


def filter_doc(args) -> dict:
    return {
        "trainee": args.trainee,
        "scenario": args.scenario,
        "since": args.since,
        "until": args.until,
        "passed": args.verdict,
        "incomplete": args.incomplete,
        "mode": args.mode,
        "protocol": getattr(args, "protocol", None),
    }


def store_filters(args) -> dict:
    """The filters the store applies (the verdict is applied after scoring, which may be redone)."""
    until = (date.fromisoformat(args.until) + timedelta(days=1)).isoformat() if args.until else None
    return {
        "trainee": args.trainee,
        "scenario": args.scenario,
        "since": args.since,
        "until": until,
        "complete": False if args.incomplete else None,
        "mode": args.mode,
    }


def selected(store, args, override=None, problems: list[str] | None = None):
    """The filtered sessions with their scores, streamed oldest first (unscorable ones go to `problems`)."""
    for j in judged(store.find(**store_filters(args)), protocol, override, problems):
        if args.verdict is None or j.passed == args.verdict:
            yield j


def chosen_protocol(args):
    if not getattr(args, "protocol", None):
        return None
    return protocol(args.protocol)


def left_out(problems: list[str]) -> int:
    """Report the sessions a listing or report had to leave out; 1 if there were any."""
    for p in problems:
        sys.stderr.write(f"defuse: {p}\n")
    if problems:
        sys.stderr.write(f"defuse: {len(problems)} session(s) left out; everything else was written\n")
    return 1 if problems else 0


def progress_bar(args, total: int | None = None, unit: str = "session", desc: str = ""):
    """Wraps an iterable in a progress bar on stderr, only when stderr is a terminal and not under --json."""
    quiet = bool(getattr(args, "json", False)) or not sys.stderr.isatty()

    def wrap(iterable):
        if quiet:
            return iterable
        from tqdm import tqdm  # only when a person watches a long run on a terminal

        return tqdm(iterable, total=total, unit=unit, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True)

    return wrap


def count_for_bar(store, args) -> int | None:
    """How many sessions the filters select (for the progress bar), when stderr shows one."""
    if not sys.stderr.isatty() or getattr(args, "json", False):
        return None
    return store.count(**store_filters(args))
