"""The trainee's name, remembered between terminal sessions so it is asked only once.

Kept as a small JSON file in the user's config folder (platformdirs). A missing or
damaged file just means the name is asked again; it never stops play.
"""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["profile_path", "remembered_name", "remember_name", "clean_name"]

MAX_NAME = 60


def profile_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("defuse", appauthor=False)) / "trainee.json"


def clean_name(text: str) -> str | None:
    """The name as it will be recorded, or None when it is not usable."""
    name = " ".join("".join(ch for ch in text if ch.isprintable()).split())
    return name[:MAX_NAME] if name else None


def remembered_name(path: Path | None = None) -> str | None:
    try:
        doc = json.loads((path or profile_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return clean_name(doc.get("trainee", "")) if isinstance(doc, dict) and isinstance(doc.get("trainee"), str) else None


def remember_name(name: str, path: Path | None = None) -> bool:
    """Save the name; False (and nothing raised) when the folder is not writable."""
    target = path or profile_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps({"trainee": name}) + "\n", encoding="utf-8")
    except OSError:
        return False
    return True
