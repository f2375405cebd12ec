"""Subcommands this package adds to `defuse` (see simulator.cli)."""


def register(sub, common) -> None:
    """Add this package's subcommands to the `defuse` parser."""
