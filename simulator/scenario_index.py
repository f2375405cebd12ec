"""Which file holds which scenario id, for the library's folders: built once, cached on disk.

The cache is a small JSON file keyed by each file's path, modification time and size, so a
folder of 10,000 scenarios is parsed once and afterwards only stat'ed; a file that changed is
parsed again. Only regular files are indexed: a symbolic link to a file outside its folder
is refused without being read (its content would otherwise be quoted in error messages).
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Callable

from .diagnostics import Diagnostic, ScenarioError

__all__ = ["build_index", "SUFFIXES"]

SUFFIXES = (".yaml", ".yml")
_VERSION = 1


def _files(folder: Path) -> tuple[list[tuple[str, os.stat_result]], list[ScenarioError]]:
    """(file, its stat) for the scenario files of a folder and its subfolders, and the links refused.
    One directory scan and one stat per file: a folder of thousands is listed in a blink."""
    out, refused = [], []
    if not folder.is_dir():
        return out, refused
    root = str(folder.resolve())
    stack = [os.path.abspath(folder)]  # absolute, so every entry's path is too (no Path objects: 10,000 of them cost seconds)
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for e in reversed(entries):
            if e.is_dir(follow_symlinks=False):
                stack.append(e.path)
        for e in entries:
            if not e.name.endswith(SUFFIXES):
                continue
            if e.is_symlink():
                target = os.path.realpath(e.path)
                if not (target == root or target.startswith(root + os.sep)):
                    refused.append(ScenarioError([Diagnostic(e.path, 1, 1, "E001", "cannot read the file: it is a symbolic link to a file outside the folder (not read)")]))
                    continue
            try:
                st = e.stat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                out.append((e.path, st))
    return out, refused


def _load_cache(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return {}
    return doc.get("files", {}) if isinstance(doc, dict) and doc.get("version") == _VERSION else {}


def _save_cache(path: Path | None, files: dict) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
        tmp.write_text(json.dumps({"version": _VERSION, "files": files}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # no cache: the next run only parses again


def build_index(dirs: list[Path], cache_path: Path | None, id_of: Callable[[Path], str | None]) -> tuple[dict[str, list[str]], list[Path], list[ScenarioError]]:
    """(id -> absolute paths of the files holding it, files without a readable id, links refused) for these folders;
    `id_of` reads the id a file declares (None when it cannot)."""
    cached = _load_cache(cache_path)
    fresh: dict = {}
    index: dict[str, list[str]] = {}
    nameless: list[Path] = []
    refused: list[ScenarioError] = []
    seen: set[str] = set()
    for folder in dirs:
        files, bad = _files(Path(folder))
        refused.extend(bad)
        for key, st in files:
            if key in seen:  # the same file reached twice (overlapping folders) is one file
                continue
            seen.add(key)
            hit = cached.get(key)
            if isinstance(hit, list) and len(hit) == 3 and hit[:2] == [st.st_mtime_ns, st.st_size]:
                sid = hit[2]
            else:
                sid = id_of(Path(key))
            fresh[key] = [st.st_mtime_ns, st.st_size, sid]
            if sid is None:
                nameless.append(Path(key))
            else:
                index.setdefault(sid, []).append(key)
    merged = {**cached, **fresh}  # other runs may index other folders: keep their entries too
    if merged != cached:
        _save_cache(cache_path, merged)
    return index, nameless, refused
