"""The learning record store as a command names it: a client for an endpoint with the user's
credentials (--password-file, --password, DEFUSE_LRS_PASSWORD or the prompt), and the sessions
read back from it with --from-lrs (`report` and `import`)."""
from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from simulator.cli_common import fail
from simulator.diagnostics import DefuseError
from simulator.library import protocol

from .from_lrs import fetch
from .lrs import Lrs, LrsError, check_endpoint, printable
from .selection import progress_bar

__all__ = ["client_for", "read_back"]


def read_back(args):
    """The finished sessions in the record store named by --from-lrs (a `from_lrs.Fetched`), or
    an exit status when it cannot be read."""
    if not args.user:
        return fail("--from-lrs needs --user (and --password-file, DEFUSE_LRS_PASSWORD or the prompt)", 2)
    lrs = client_for(args, args.from_lrs, "--from-lrs")
    if isinstance(lrs, int):
        return lrs
    try:
        got = fetch(lrs, protocol, progress_bar(args, None, desc="read LRS"))
    except LrsError as e:
        return fail(f"reading the record store: {e}")
    for line in got.problems:
        sys.stderr.write(f"defuse: {printable(line)}\n")
    if got.without_record:
        sys.stderr.write(
            f"defuse: {got.without_record} finished session(s) in {printable(args.from_lrs)} carry no session record"
            " (pushed by an older Defuse or another tool) and are left out\n"
        )
    return got


def client_for(args, endpoint: str, option: str):
    """The record store client for this command's endpoint and credentials, or an exit status."""
    try:
        check_endpoint(endpoint)
    except ValueError as e:
        return fail(f"{option} {e}", 2)
    password = _password(args)
    if password is None:
        return fail("give --password-file FILE, set DEFUSE_LRS_PASSWORD, or run in a terminal to be asked", 2)
    return Lrs(endpoint, args.user, password, timeout=args.timeout)


def _password(args) -> str | None:
    """The LRS password: from --password-file, --password, DEFUSE_LRS_PASSWORD, else asked in a terminal."""
    if args.password_file is not None:
        path = Path(args.password_file)
        try:
            if not path.is_file():
                raise DefuseError(f"--password-file {args.password_file}: not a regular file")
            with path.open("rb") as fh:
                raw = fh.read(4097)
        except OSError as e:
            raise DefuseError(f"--password-file {args.password_file}: cannot read it ({e.strerror or e})") from None
        if len(raw) > 4096:
            raise DefuseError(f"--password-file {args.password_file}: too long to hold a password")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DefuseError(f"--password-file {args.password_file}: not UTF-8 text") from None
        first = text.splitlines()[0] if text.splitlines() else ""
        if not first:
            raise DefuseError(f"--password-file {args.password_file}: the first line is empty")
        return first
    if args.password is not None:
        return args.password
    env = os.environ.get("DEFUSE_LRS_PASSWORD")
    if env is not None:
        return env
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            return getpass.getpass(f"password for {args.user} at the record store: ")
        except (EOFError, KeyboardInterrupt):
            return None
    return None
