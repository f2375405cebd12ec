"""What every `defuse` command shares: argument types, the common options, output and exit helpers.

The command modules (`cli.py` and each package's `commands.py`) import these from here, never
from `cli.py`, which sits on top and imports them all: the command line stays a ladder.
"""
from __future__ import annotations

import argparse
import json
import sys

from .library import Library
from .store import Store

__all__ = ["emit_json", "fail", "common_parser", "protocols_parser", "open_store", "library_from", "trainee_arg", "seed_arg", "MAX_SEED", "MAX_NAME"]

MAX_SEED = 2**63 - 1  # seeds are kept in a 64-bit column
MAX_NAME = 60  # characters of a trainee's name


def emit_json(doc) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def fail(message: str, status: int = 1) -> int:
    sys.stderr.write(f"defuse: {message}\n")
    return status


def trainee_arg(text: str) -> str:
    """A trainee's name as it is recorded: printable, spaces collapsed, not empty (argparse type)."""
    name = " ".join("".join(ch for ch in text if ch.isprintable()).split())
    if not name:
        raise argparse.ArgumentTypeError("a trainee name cannot be empty")
    if len(name) > MAX_NAME:
        raise argparse.ArgumentTypeError(f"a trainee name has at most {MAX_NAME} characters")
    return name


def seed_arg(text: str) -> int:
    """A seed: a whole number from 0 to 2**63-1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"a seed is from 0 to {MAX_SEED}")
    return value


def protocols_parser() -> argparse.ArgumentParser:
    """`--protocols DIR`: for every command that looks protocols up."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--protocols", metavar="DIR", action="append", default=[], help="a folder of your own protocol files (repeatable; also DEFUSE_PROTOCOLS)"
    )
    return p


def common_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False, parents=[protocols_parser()])
    p.add_argument("--db", metavar="PATH", help="session database (default: DEFUSE_DB or the user data folder)")
    p.add_argument(
        "--scenarios", metavar="DIR", action="append", default=[], help="an extra folder of scenario files (repeatable; also DEFUSE_SCENARIOS)"
    )
    return p


def library_from(args) -> Library:
    return Library(getattr(args, "scenarios", None) or [])


def open_store(args) -> Store:
    store = Store(getattr(args, "db", None))
    if store.repaired:  # an older store upgraded: say once what the upgrade changed
        sys.stderr.write(
            f"defuse: {store.path}: repaired the verdict of {store.repaired} session(s) whose passed/total columns contradicted their saved score\n"
        )
    return store
