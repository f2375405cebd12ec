"""Where scenarios and protocols live on disk, and reading them through the loaders.

Bundled files ship inside the installed packages (`scenarios`, `scoring.protocols`);
trainers add folders with `--scenarios DIR` or `DEFUSE_SCENARIOS`, and folders of their own
protocols with `--protocols DIR` or `DEFUSE_PROTOCOLS` (both os.pathsep-separated).
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
    "protocol_dirs",
    "protocol_problems",
    "use_protocol_dirs",
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


_extra_protocol_dirs: tuple[Path, ...] = ()  # from the command line's --protocols


def use_protocol_dirs(dirs: list[str | Path]) -> None:
    """Add the trainer's protocol folders named on the command line (replacing earlier ones)."""
    global _extra_protocol_dirs
    _extra_protocol_dirs = tuple(Path(d) for d in dirs)


def protocol_dirs() -> tuple[Path, ...]:
    """The trainer's protocol folders: DEFUSE_PROTOCOLS, then --protocols."""
    env = os.environ.get("DEFUSE_PROTOCOLS", "")
    return tuple(Path(d) for d in env.split(os.pathsep) if d) + _extra_protocol_dirs


@lru_cache(maxsize=8)
def _tables(dirs: tuple[Path, ...]) -> tuple[dict, tuple[ScenarioError, ...]]:
    from scoring.protocol import load_protocol

    table: dict = {}
    origin: dict[str, Path] = {}
    problems: list[ScenarioError] = []
    for path in sorted(bundled_protocol_dir().glob("*.yaml")):
        proto = load_protocol(read_bytes(path), str(path))
        table[proto.id] = proto
        origin[proto.id] = path
    for folder in dirs:
        if not folder.is_dir():
            problems.append(_unreadable(folder, "the protocols folder does not exist"))
            continue
        for path in _scenario_files(folder):
            try:
                proto = load_protocol(read_bytes(path), str(path))
            except ScenarioError as e:
                problems.append(e)
                continue
            if proto.id in table:
                # the first one found wins, as with scenarios; say which file was passed over
                problems.append(ScenarioError([Diagnostic(str(path), 1, 1, "E020", f"protocol id {proto.id!r} is already installed from {origin[proto.id]}; this file is not used (give it another id)")]))
                continue
            table[proto.id] = proto
            origin[proto.id] = path
    return table, tuple(problems)


def _protocol_table() -> dict:
    return _tables(protocol_dirs())[0]


def protocol_problems() -> list[ScenarioError]:
    """Files in the trainer's protocol folders that could not be used, with every reason."""
    return list(_tables(protocol_dirs())[1])


def protocols() -> dict:
    """Every installed protocol by id: the bundled ones, then the trainer's (loaded once)."""
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
