"""Which file holds which scenario id, for the library's folders: built once, cached on disk.

The cache is a small JSON file keyed by each file's path, modification time and size, so a
folder of 10,000 scenarios is parsed once and afterwards only stat'ed; a file that changed is
parsed again. Only regular files are indexed: a symbolic link to a file outside its folder
is refused without being read (its content would otherwise be quoted in error messages).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from .diagnostics import Diagnostic, ScenarioError

__all__ = ["build_index", "SUFFIXES"]

SUFFIXES = (".yaml", ".yml")
_VERSION = 1


def _files(folder: Path) -> tuple[list[Path], list[ScenarioError]]:
    """The scenario files of a folder and its subfolders, and the links refused."""
    out, refused = [], []
    if not folder.is_dir():
        return out, refused
    root = folder.resolve()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith(SUFFIXES):
                continue
            p = Path(dirpath) / name
            if p.is_symlink():
                target = p.resolve()
                if not target.is_relative_to(root):
                    refused.append(ScenarioError([Diagnostic(str(p), 1, 1, "E001", "cannot read the file: it is a symbolic link to a file outside the folder (not read)")]))
                    continue
            if p.is_file():
                out.append(p)
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


def build_index(dirs: list[Path], cache_path: Path | None, id_of: Callable[[Path], str | None]) -> tuple[dict[str, list[Path]], list[Path], list[ScenarioError]]:
    """(id -> files holding it, files without a readable id, links refused) for these folders;
    `id_of` reads the id a file declares (None when it cannot)."""
    cached = _load_cache(cache_path)
    fresh: dict = {}
    index: dict[str, list[Path]] = {}
    nameless: list[Path] = []
    refused: list[ScenarioError] = []
    seen: set[Path] = set()
    for folder in dirs:
        files, bad = _files(Path(folder))
        refused.extend(bad)
        for p in files:
            real = p.resolve()
            if real in seen:  # the same file reached twice (overlapping folders) is one file
                continue
            seen.add(real)
            try:
                st = p.stat()
            except OSError:
                continue
            key = str(real)
            hit = cached.get(key)
            if isinstance(hit, list) and len(hit) == 3 and hit[:2] == [st.st_mtime_ns, st.st_size]:
                sid = hit[2]
            else:
                sid = id_of(p)
            fresh[key] = [st.st_mtime_ns, st.st_size, sid]
            if sid is None:
                nameless.append(p)
            else:
                index.setdefault(sid, []).append(p)
    merged = {**cached, **fresh}  # other runs may index other folders: keep their entries too
    if merged != cached:
        _save_cache(cache_path, merged)
    return index, nameless, refused
