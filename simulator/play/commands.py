"""`defuse play`: the role-play window, or the terminal with --text.

This module only parses and dispatches: it builds the scenario library and opens the session
store, and hands both to a front end, `window` (pygame) or `terminal` (text). The window
module loads pygame only when it opens, so `defuse run` never loads it.
"""
from __future__ import annotations

import argparse
import sys

from ..cli_common import library_from, open_store, seed_arg, trainee_arg
from ..translations import check_language, localize
from . import terminal, window
from .display import has_display

__all__ = ["register", "cmd_play", "has_display"]


def register(sub, common) -> None:
    p = sub.add_parser("play", parents=[common], help="play a scenario (the window; --text for the terminal)")
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="a scenario id or file (default: pick from a list)")
    p.add_argument("--text", action="store_true", help="play in the terminal instead of a window")
    p.add_argument("--debug", action="store_true", help="trainer's playtest: show anger, actions and routing each turn (terminal)")
    p.add_argument("--autoplay", metavar="ID,ID!,...", help="drive the window with scripted choices, then exit")
    p.add_argument("--screenshots", metavar="DIR", help="with --autoplay: save one PNG per turn and one of the debrief")
    p.add_argument("--trainee", type=trainee_arg, metavar="NAME", help="the trainee's name (asked once and remembered otherwise)")
    p.add_argument("--protocol", metavar="ID", help="score against this protocol instead of the scenario's")
    p.add_argument(
        "--seed", type=seed_arg, default=None, metavar="N",
        help="the session's seed (the order the options are shown in, the customer's noise); each session draws a fresh one unless given",
    )
    p.add_argument("--lang", metavar="CODE", help="play the scenario's translation into this language (e.g. de), with a voice for it")
    p.add_argument("--no-speech", action="store_true", help="captions only")
    p.add_argument("--no-save", action="store_true", help="do not write the session to the database")
    p.add_argument("--text-size", type=float, default=None, metavar="SCALE", help="text size multiplier, 0.7 to 2.0 (window; default: the size last chosen with Ctrl +/-, else 1.0)")
    p.add_argument("--pace", type=_pace, metavar="WPM", help="terminal: words per minute for the customer's lines (0 = at once; default DEFUSE_TEXT_WPM or the persona's voice)")
    p.add_argument("--voice-answers", action="store_true", help="answer out loud: the microphone is listened to while options are shown (see docs/voice-answers.md)")
    p.add_argument("--microphone", metavar="DEVICE", help="with --voice-answers: the input device, by number or name (remembered; default: the system's)")
    p.set_defaults(func=cmd_play)


def _pace(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of words per minute") from None
    if value < 0 or value != value:
        raise argparse.ArgumentTypeError(f"{text!r}: words per minute cannot be negative (0 shows each line at once)")
    return value


def cmd_play(args) -> int:
    library = library_from(args)
    if args.lang:
        check_language(args.lang)
        if args.scenario:  # no such translation, or a broken one: one clear error before anything opens
            localize(library.get(args.scenario), args.lang)
    if args.text:
        return _run(terminal.run, args, library)
    if not has_display() and not args.autoplay:
        sys.stderr.write("defuse: no display found, so the window cannot open. You can play in this terminal instead: defuse play --text\n")
        if sys.stdin.isatty():
            sys.stderr.write("Play in the terminal now? [Y/n] ")
            sys.stderr.flush()
            line = sys.stdin.readline()
            if line and line.strip().lower() in ("", "y", "yes"):
                return _run(terminal.run, args, library)
            # the trainee chose not to play (or closed the input): a choice, not an error, so
            # `make play` ends quietly instead of reporting a failed recipe
            sys.stderr.write("\n" if not line else "")
            return 0
        return 1
    return _run(window.run, args, library)


def _run(front_end, args, library) -> int:
    """Open the session store (none with --no-save), hand it and the library to a front end, close it after."""
    store = None if args.no_save else open_store(args)
    try:
        return front_end(args, library, store)
    finally:
        if store is not None:
            store.close()
