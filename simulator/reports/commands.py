"""Subcommands this package adds to `defuse` (see simulator.cli; shared helpers in simulator.cli_common): the instructor's side.

`sessions`, `report`, `lrs push`, `config`, `export-sessions` and `import`. This module parses
the arguments; each command lives in its own module (`listing`, `reporting`, `pushing`,
`transfer`), over `selection` (which sessions), `output` (atomic files) and `lrs` (the record
store: the client and the push).
"""
from __future__ import annotations

import argparse
from datetime import date

from simulator.cli_common import emit_json
from simulator.store import MODES

from .classview import DEFAULT_LATEST, DEFAULT_THRESHOLD
from .listing import cmd_sessions
from .lrs import MAX_TIMEOUT
from .pushing import cmd_lrs_push
from .reporting import FORMATS, LATEST_DETAIL, cmd_report
from .settings import KEYS, check, config_path, load, save
from .transfer import cmd_export, cmd_import

__all__ = ["register"]


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _filters(p: argparse.ArgumentParser, mode: str = "practice") -> None:
    g = p.add_argument_group("filters (all optional, combined with AND)")
    g.add_argument("--trainee", metavar="NAME", help="only this trainee's sessions (any case, surrounding spaces ignored)")
    g.add_argument(
        "--mode",
        choices=MODES,
        default=mode,
        help=f"practice sessions, scripted runs (defuse run, autoplay) or all (default: {mode})",
    )
    g.add_argument("--scenario", metavar="ID", help="only sessions of this scenario")
    g.add_argument("--since", metavar="DATE", type=_day, help="started on or after this day (YYYY-MM-DD, UTC, inclusive)")
    g.add_argument("--until", metavar="DATE", type=_day, help="started on or before this day (YYYY-MM-DD, UTC, inclusive)")
    verdict = g.add_mutually_exclusive_group()
    verdict.add_argument("--passed", dest="verdict", action="store_const", const=True, help="only sessions that passed")
    verdict.add_argument("--failed", dest="verdict", action="store_const", const=False, help="only sessions that failed")
    g.add_argument("--incomplete", action="store_true", help="only sessions that never reached an ending")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (0 < value <= MAX_TIMEOUT):  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds above 0 and at most {MAX_TIMEOUT:.0f}")
    return value


def register(sub, common) -> None:
    """Add this package's subcommands to the `defuse` parser."""
    p = sub.add_parser("sessions", parents=[common], help="list recorded sessions with their scores")
    _filters(p)
    p.add_argument("--protocol", metavar="ID", help="re-score every session against this protocol")
    p.add_argument("--json", action="store_true", help="print the sessions as one JSON document")
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("report", parents=[common], help="a score report: csv, xlsx, json, html, xapi or pdf")
    p.add_argument("--format", required=True, choices=FORMATS, help="the kind of report: " + ", ".join(FORMATS))
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write it ('-' for stdout)")
    p.add_argument("--protocol", metavar="ID", help="re-score every session against this protocol")
    p.add_argument("--homepage", metavar="URL", help="xapi: the account homePage naming trainees (default: DEFUSE_XAPI_HOMEPAGE, else `defuse config`)")
    p.add_argument("--activity-base", metavar="IRI", help="xapi: the IRI every activity id starts with (default: `defuse config`)")
    p.add_argument("--latest", type=int, default=DEFAULT_LATEST, metavar="N", help=f"the coaching grid and the HTML detail use each trainee's latest N finished sessions (default {DEFAULT_LATEST})")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="SHARE", help=f"who needs coaching: a step missed in more than this share of those sessions (default {DEFAULT_THRESHOLD})")
    p.add_argument("--detail", choices=("latest", "all", "none"), help=f"pdf: after each summary page, the latest {LATEST_DETAIL} sessions, all or none (default: latest with --trainee, else none)")
    _lrs_source(p)
    _filters(p)
    p.set_defaults(func=cmd_report)

    lrs = sub.add_parser("lrs", help="a learning record store (xAPI)")
    lrs_sub = lrs.add_subparsers(dest="lrs_command", metavar="COMMAND")
    lrs.set_defaults(func=lambda args: (lrs.print_help(), 2)[1])
    p = lrs_sub.add_parser("push", parents=[common], help="send the sessions not yet sent; failed sends are retried next time")
    p.add_argument("--endpoint", required=True, metavar="URL", help="the xAPI base, e.g. http://127.0.0.1:8100/xAPI/")
    p.add_argument("--user", required=True, metavar="U", help="the LRS account's user name (HTTP basic authentication)")
    p.add_argument("--password-file", metavar="FILE", help="a file whose first line is the password (safer than --password)")
    p.add_argument("--password", metavar="P", help="visible to other users of this machine: prefer --password-file, DEFUSE_LRS_PASSWORD or the prompt")
    p.add_argument("--homepage", metavar="URL", help="the account homePage naming trainees (default: DEFUSE_XAPI_HOMEPAGE, else `defuse config`)")
    p.add_argument("--activity-base", metavar="IRI", help="the IRI every activity id starts with (default: `defuse config`)")
    p.add_argument("--timeout", type=_seconds, default=15.0, metavar="SECONDS", help="one deadline for each request, whole (default 15, at most 600)")
    p.add_argument("--batch", type=int, default=500, metavar="N", help="statements per request, at most (default 500; a session is never split)")
    p.add_argument("--jobs", type=int, metavar="N", help="worker processes that read the sessions, make their statements and send them, for a push of a few thousand sessions or more (default: one per core, at most 8; 1: all in this process)")
    p.add_argument("--json", action="store_true", help="print the counts (sent, pending, errors) as one JSON document")
    _filters(p, mode="all")
    p.set_defaults(func=cmd_lrs_push)

    p = sub.add_parser("config", help="settings kept in a file: the organisation's xAPI homePage and activity IRIs")
    p.add_argument("action", nargs="?", choices=("show", "set", "unset"), default="show", help="show the settings (default), set KEY VALUE or unset KEY")
    p.add_argument("key", nargs="?", metavar="KEY", help="xapi.homepage or xapi.activity_base")
    p.add_argument("value", nargs="?", metavar="VALUE", help="with set: the new value")
    p.add_argument("--json", action="store_true", help="print the settings file and its settings as one JSON document")
    p.set_defaults(func=_config_usage(p))

    p = sub.add_parser("export-sessions", parents=[common], help="write sessions to a file for another machine")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the export file to write ('-' for stdout)")
    _filters(p, mode="all")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", parents=[common], help="merge exported sessions (files, or a record store with --from-lrs) into this machine's store")
    p.add_argument("files", nargs="*", metavar="FILE", help="files written by `defuse export-sessions`")
    p.add_argument("--json", action="store_true", help="print the counts as one JSON document")
    _lrs_source(p)
    p.set_defaults(func=cmd_import)


def _lrs_source(p) -> None:
    """The options that read sessions back from a learning record store."""
    g = p.add_argument_group("from a learning record store")
    g.add_argument("--from-lrs", metavar="URL", help="read the finished sessions pushed to this xAPI endpoint (`defuse lrs push`) instead of the local store")
    g.add_argument("--user", metavar="U", help="with --from-lrs: the record store's user")
    g.add_argument("--password-file", metavar="FILE", help="with --from-lrs: a file whose first line is the password")
    g.add_argument("--password", metavar="P", help="with --from-lrs: visible to other users of this machine; prefer --password-file, DEFUSE_LRS_PASSWORD or the prompt")
    g.add_argument("--timeout", type=_seconds, default=60.0, metavar="SECONDS", help="with --from-lrs: one deadline for each page read (default 60, at most 600)")


def _config_usage(parser):
    def run(args) -> int:
        wants = {"show": (False, False), "set": (True, True), "unset": (True, False)}[args.action]
        if (args.key is not None) != wants[0] or (args.value is not None) != wants[1]:
            parser.error({"show": "show takes no KEY", "set": "set takes KEY VALUE", "unset": "unset takes KEY"}[args.action])
        return cmd_config(args)

    return run


def cmd_config(args) -> int:
    path = config_path()
    settings = load(path)
    if args.action == "set":
        settings[args.key] = check(args.key, args.value)
        save(settings, path)
    elif args.action == "unset":
        if args.key not in KEYS:
            check(args.key, "http://x")  # the unknown-key message
        settings.pop(args.key, None)
        save(settings, path)
    if args.json:
        emit_json({"path": str(path), "settings": settings})
    elif args.action != "show":
        print(f"{args.key} = {settings[args.key]} (in {path})" if args.action == "set" else f"{args.key} unset (in {path})")
    else:
        print(f"# {path}")
        for key, what in KEYS.items():
            print(f"{key} = {settings[key]}" if key in settings else f"# {key} (not set): {what}")
    return 0
