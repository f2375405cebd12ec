"""Where scenarios and protocols live on disk, and reading them through the loaders.

Bundled files ship inside the installed packages (`scenarios`, `scoring.protocols`);
trainers add folders with `--scenarios DIR` or `DEFUSE_SCENARIOS` (os.pathsep-separated).
This is the shell around the pure loaders: it is the part that touches the disk.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .diagnostics import DefuseError, Diagnostic, ScenarioError
from .loader import MAX_BYTES, load_scenario
from .model import Scenario

__all__ = [
    "Library",
    "bundled_scenario_dir",
    "bundled_protocol_dir",
    "read_bytes",
    "protocols",
    "protocol",
    "UnknownName",
]


class UnknownName(DefuseError):
    """A scenario or protocol id that is not installed."""


def bundled_scenario_dir() -> Path:
    return Path(str(resources.files("scenarios")))


def bundled_protocol_dir() -> Path:
    return Path(str(resources.files("scoring.protocols")))


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes, or a ScenarioError (E001) naming the file; never reads more than the cap allows."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            return fh.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise _unreadable(p, "it is a folder, not a file") from None
    except FileNotFoundError:
        raise _unreadable(p, "it does not exist") from None
    except OSError as e:
        raise _unreadable(p, e.strerror or str(e)) from None


def _unreadable(p: Path, why: str) -> ScenarioError:
    return ScenarioError([Diagnostic(str(p), 1, 1, "E001", f"cannot read the file: {why}")])


@lru_cache(maxsize=1)
def _protocol_table() -> dict:
    from scoring.protocol import load_protocol

    table = {}
    for path in sorted(bundled_protocol_dir().glob("*.yaml")):
        proto = load_protocol(read_bytes(path), str(path))
        table[proto.id] = proto
    return table


def protocols() -> dict:
    """Every bundled protocol by id (loaded once)."""
    return dict(_protocol_table())


def protocol(pid: str):
    table = _protocol_table()
    if pid not in table:
        raise UnknownName(f"unknown protocol {pid!r} (installed: {', '.join(sorted(table))})")
    return table[pid]


@dataclass(frozen=True)
class Entry:
    id: str
    path: Path
    scenario: Scenario


class Library:
    """The scenarios a user can play: the bundled ones plus the trainer's folders."""

    def __init__(self, extra_dirs: list[str | Path] | None = None, include_bundled: bool = True):
        dirs: list[Path] = []
        if include_bundled:
            dirs.append(bundled_scenario_dir())
        env = os.environ.get("DEFUSE_SCENARIOS", "")
        dirs += [Path(d) for d in env.split(os.pathsep) if d]
        dirs += [Path(d) for d in extra_dirs or []]
        self.dirs = dirs
        self._entries: dict[str, Entry] | None = None
        self.problems: list[ScenarioError] = []

    def load_path(self, path: str | Path) -> Scenario:
        return load_scenario(read_bytes(path), str(path), set(_protocol_table()))

    def entries(self) -> dict[str, Entry]:
        if self._entries is None:
            found: dict[str, Entry] = {}
            for d in self.dirs:
                for path in _scenario_files(Path(d)):
                    try:
                        sc = self.load_path(path)
                    except ScenarioError as e:
                        self.problems.append(e)
                        continue
                    found.setdefault(sc.id, Entry(sc.id, path, sc))
            self._entries = found
        return self._entries

    def get(self, name: str) -> Entry:
        """A scenario by id, or by path to a YAML file."""
        if name.endswith((".yaml", ".yml")) or os.sep in name or Path(name).is_file():
            path = Path(name)
            return _entry(path, self.load_path(path))
        entries = self.entries()
        if name not in entries:
            raise UnknownName(f"unknown scenario {name!r} (installed: {', '.join(sorted(entries)) or 'none'})")
        return entries[name]


def _scenario_files(folder: Path) -> list[Path]:
    """Every scenario file in a folder and its subfolders (the same files `defuse validate` checks)."""
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _entry(path: Path, sc: Scenario) -> Entry:
    return Entry(sc.id, path, sc)
