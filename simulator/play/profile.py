"""The trainee's profile: what the simulator remembers about the person at this computer.

One small JSON file, `profile.json` in the user config folder (platformdirs), shared by the
window and the terminal: the trainee's name (asked once, by whichever front end comes
first), the microphone for spoken answers and the window's text size. One rule cleans a
name wherever it is typed. A missing or damaged file just means nothing is remembered; a
file that cannot be written never stops play.

Earlier versions kept the name twice, in `window.json` (the window, with the microphone)
and `trainee.json` (the terminal), with different length limits. The first load moves
their values into the profile and removes them; when both named a trainee, the more
recently written one wins.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from platformdirs import user_config_dir

__all__ = [
    "Profile",
    "profile_path",
    "load_profile",
    "save_profile",
    "clean_name",
    "clean_text_size",
    "MAX_NAME",
    "TEXT_SIZES",
]

MAX_NAME = 60  # characters of a trainee's name, as the command line's --trainee allows
TEXT_SIZES = (0.7, 2.0)  # the window's text scale, smallest and largest
_FILE = "profile.json"
_OLD_FILES = ("window.json", "trainee.json")  # the two files this one replaces


@dataclass(frozen=True)
class Profile:
    trainee: str | None = None
    microphone: str | None = None  # a PortAudio device: its number or (part of) its name
    text_size: float | None = None  # the window's text scale, 1.0 being the default


def clean_name(text: object) -> str | None:
    """The name as it will be recorded (printable, spaces collapsed, at most MAX_NAME
    characters), or None when nothing usable is left."""
    if not isinstance(text, str):
        return None
    name = " ".join("".join(ch for ch in text if ch.isprintable()).split())
    return name[:MAX_NAME].rstrip() or None


def clean_text_size(value: object) -> float | None:
    """A text scale within TEXT_SIZES, to one decimal; None for anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    low, high = TEXT_SIZES
    return round(min(high, max(low, float(value))), 1)


def _clean_microphone(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = "".join(ch for ch in value if ch.isprintable()).strip()
    return text[:200] or None


_CLEAN = {"trainee": clean_name, "microphone": _clean_microphone, "text_size": clean_text_size}


def profile_path() -> Path:
    return Path(user_config_dir("defuse", appauthor=False)) / _FILE


def _read(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _from_doc(doc: dict) -> Profile:
    return Profile(**{f.name: _CLEAN[f.name](doc.get(f.name)) for f in fields(Profile)})


def load_profile(path: Path | None = None) -> Profile:
    """The remembered profile (every value cleaned; anything unusable is simply not remembered)."""
    path = path or profile_path()
    if not path.exists():
        _migrate(path)
    return _from_doc(_read(path))


def save_profile(path: Path | None = None, **changes) -> bool:
    """Merge `changes` into the profile; False (and nothing raised) when it cannot be written.

    A value that does not pass its rule is not stored (None removes a value). Keys this
    version does not know are kept, so a newer version's settings survive an older one.
    """
    unknown = set(changes) - set(_CLEAN)
    if unknown:
        raise TypeError(f"not a profile setting: {', '.join(sorted(unknown))}")
    path = path or profile_path()
    if not path.exists():
        _migrate(path)
    doc = _read(path)
    doc.update({key: clean(doc.get(key)) for key, clean in _CLEAN.items()})  # a damaged value is dropped
    for key, value in changes.items():
        doc[key] = _CLEAN[key](value)
    return _write(path, {k: v for k, v in doc.items() if v is not None})


def _write(path: Path, doc: dict) -> bool:
    part = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(part, path)  # a crash mid-write leaves the old profile, never half of one
    except OSError:
        return False
    return True


def _migrated_doc(path: Path) -> dict:
    """The old files' values, merged: the newer file's name wins."""
    found = []
    for name in _OLD_FILES:
        old = path.with_name(name)
        try:
            found.append((old.stat().st_mtime, _read(old)))
        except OSError:
            continue
    doc: dict = {}
    for _, values in sorted(found, key=lambda pair: pair[0]):
        for key in _CLEAN:
            if _CLEAN[key](values.get(key)) is not None:
                doc[key] = values[key]
    return asdict(_from_doc(doc)) if doc else {}


def _migrate(path: Path) -> None:
    doc = {k: v for k, v in _migrated_doc(path).items() if v is not None}
    if not doc or not _write(path, doc):
        return
    for name in _OLD_FILES:
        try:
            path.with_name(name).unlink()
        except OSError:
            pass
