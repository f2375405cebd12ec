"""Where scenarios and protocols live on disk, and reading them through the loaders.

Bundled files ship as package data (`simulator.scenarios`, from the repository's `scenarios/`, and `scoring.protocols`);
trainers add folders with `--scenarios DIR` or `DEFUSE_SCENARIOS`, and folders of their own
protocols with `--protocols DIR` or `DEFUSE_PROTOCOLS` (both os.pathsep-separated).
This is the shell around the pure loaders: it is the part that touches the disk.
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from platformdirs import user_cache_dir

from .diagnostics import DefuseError, Diagnostic, ScenarioError
from .loader import MAX_BYTES, load_scenario, parse_yaml
from .model import Scenario
from .protocol_loader import load_protocol
from .scenario_index import build_index

__all__ = [
    "Library",
    "bundled_scenario_dir",
    "bundled_protocol_dir",
    "read_bytes",
    "protocols",
    "protocol",
    "protocol_path",
    "protocol_dirs",
    "protocol_problems",
    "use_protocol_dirs",
    "UnknownName",
]


class UnknownName(DefuseError):
    """A scenario or protocol id that is not installed."""


def bundled_scenario_dir() -> Path:
    return Path(str(resources.files("simulator.scenarios")))


def bundled_protocol_dir() -> Path:
    return Path(str(resources.files("scoring.protocols")))


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes, or a ScenarioError (E001) naming the file; never reads more than the cap
    allows, and only a regular file is read (a FIFO or a device would block or never end)."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except IsADirectoryError:
        raise _unreadable(p, "it is a folder, not a file") from None
    except FileNotFoundError:
        raise _unreadable(p, "it does not exist") from None
    except OSError as e:
        raise _unreadable(p, e.strerror or str(e)) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise _unreadable(p, "it is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise _unreadable(p, "it is not a regular file (a pipe or a device)")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            return fh.read(MAX_BYTES + 1)
    except OSError as e:
        raise _unreadable(p, e.strerror or str(e)) from None
    finally:
        if fd >= 0:
            os.close(fd)


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
def _tables(dirs: tuple[Path, ...]) -> tuple[dict, tuple[ScenarioError, ...], dict[str, Path]]:
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
    return table, tuple(problems), origin


def _protocol_table() -> dict:
    return _tables(protocol_dirs())[0]


def protocol_problems() -> list[ScenarioError]:
    """Files in the trainer's protocol folders that could not be used, with every reason."""
    return list(_tables(protocol_dirs())[1])


def protocols() -> dict:
    """Every installed protocol by id: the bundled ones, then the trainer's (loaded once)."""
    return dict(_protocol_table())


def protocol_path(pid: str) -> Path | None:
    """The file an installed protocol was read from (None: not installed)."""
    return _tables(protocol_dirs())[2].get(pid)


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
    digest: str = ""  # sha256 of the file's bytes, recorded with every session played from it

    @property
    def source(self) -> str:
        """Where the scenario came from, as sessions record it: `bundled:FILE` or the file's absolute path."""
        try:
            return "bundled:" + self.path.resolve().relative_to(bundled_scenario_dir().resolve()).as_posix()
        except ValueError:
            return str(self.path.resolve())


class Library:
    """The scenarios a user can play: the bundled ones plus the trainer's folders.

    An id belongs to exactly one file: two files with one id are a clash (E029), reported for
    both and never resolved by taking one of them. The folders are indexed by id once, and the
    index is cached by each file's time and size, so playing one scenario parses one file.
    """

    def __init__(self, extra_dirs: list[str | Path] | None = None, include_bundled: bool = True, cache: Path | None | bool = None):
        dirs: list[Path] = []
        if include_bundled:
            dirs.append(bundled_scenario_dir())
        env = os.environ.get("DEFUSE_SCENARIOS", "")
        dirs += [Path(d) for d in env.split(os.pathsep) if d]
        dirs += [Path(d) for d in extra_dirs or []]
        self.dirs = dirs
        self._entries: dict[str, Entry] | None = None
        self._index: dict[str, list[Path]] | None = None
        self._nameless: list[Path] = []
        self._refused: list[ScenarioError] = []
        self._cache_path = _cache_file() if cache is None else (cache or None)
        self.problems: list[ScenarioError] = []

    def load_path(self, path: str | Path) -> Scenario:
        return load_scenario(read_bytes(path), str(path), set(_protocol_table()))

    def index(self) -> dict[str, list[Path]]:
        """Every scenario id in the library with the file(s) that hold it (more than one: a clash)."""
        if self._index is None:
            self._index, self._nameless, self._refused = build_index(self.dirs, self._cache_path, _declared_id)
        return self._index

    def clash(self, sid: str, path: Path | None = None) -> ScenarioError | None:
        """E029 if the id is held by more than one file (or by a file other than `path`)."""
        holders = [p for p in self.index().get(sid, []) if path is None or not _same_file(p, path)]
        if path is None and len(holders) < 2 or path is not None and not holders:
            return None
        where = path if path is not None else holders[-1]
        others = [p for p in holders if where is None or not _same_file(p, where)]
        line, col = _id_position(where)
        return ScenarioError([Diagnostic(str(where), line, col, "E029", f"scenario id {sid!r} is also the id of {', '.join(map(shown_path, others))}: an id belongs to one file; rename one of them")])

    def entries(self) -> dict[str, Entry]:
        if self._entries is None:
            found: dict[str, Entry] = {}
            for sid, paths in sorted(self.index().items(), key=lambda kv: (kv[1][0], kv[0])):
                if len(paths) > 1:
                    for p in paths:
                        self.problems.append(self.clash(sid, Path(p)))
                    continue
                try:
                    found[sid] = self._load_entry(Path(paths[0]))
                except ScenarioError as e:
                    self.problems.append(e)
            for path in self._nameless:  # files without a readable id: load them for their errors
                try:
                    self.load_path(path)
                except ScenarioError as e:
                    self.problems.append(e)
            self.problems.extend(self._refused)
            self._entries = found
        return self._entries

    def in_order(self) -> list[Entry]:
        """The playable scenarios as every picker lists them (window and terminal): by title,
        ignoring case, then by id."""
        return sorted(self.entries().values(), key=lambda e: (e.scenario.title.casefold(), e.id))

    def _load_entry(self, path: Path) -> Entry:
        raw = read_bytes(path)
        sc = load_scenario(raw, str(path), set(_protocol_table()))
        return Entry(sc.id, path, sc, hashlib.sha256(raw).hexdigest())

    def get(self, name: str) -> Entry:
        """A scenario by id, or by path to a YAML file (a bare name never means a file here)."""
        if name.endswith((".yaml", ".yml")) or os.sep in name or (os.altsep and os.altsep in name):
            path = Path(name)
            entry = self._load_entry(path)
            clash = self.clash(entry.id, path)
            if clash is not None:
                raise clash
            return entry
        if self._entries is not None and name in self._entries:
            return self._entries[name]
        paths = self.index().get(name)
        if not paths:
            raise UnknownName(f"unknown scenario {name!r} (installed: {', '.join(sorted(self.index())) or 'none'})")
        if len(paths) > 1:
            raise self.clash(name, paths[-1])
        return self._load_entry(Path(paths[0]))


def _declared_id(path: Path) -> str | None:
    """The id a scenario file declares (None if it cannot be read or declares none)."""
    try:
        raw = read_bytes(path)
    except ScenarioError:
        return None
    data = parse_yaml(raw, str(path)).data
    sid = data.get("id") if isinstance(data, dict) else None
    return sid if isinstance(sid, str) and sid else None


def shown_path(path: Path | str) -> str:
    """A path as messages show it: relative to the current folder when inside it, else as is."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def _id_position(path: Path) -> tuple[int, int]:
    """Line and column of the top-level `id:` value (1, 1 if it cannot be found)."""
    try:
        with open(path, "rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if n > 5000:
                    break
                if raw.startswith(b"id:"):
                    rest = raw[3:]
                    return n, 4 + (len(rest) - len(rest.lstrip(b" \t")))
    except OSError:
        pass
    return 1, 1


def _cache_file() -> Path | None:
    try:
        return Path(user_cache_dir("defuse", appauthor=False)) / "scenario-index.json"
    except Exception:  # noqa: BLE001 - no cache is only slower
        return None


def _scenario_files(folder: Path) -> list[Path]:
    """Every scenario file in a folder and its subfolders (the same files `defuse validate` checks)."""
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _entry(path: Path, sc: Scenario) -> Entry:
    return Entry(sc.id, path, sc)
