"""The trainee's remembered settings (their name), in a small JSON file in the user config folder.

Asked once, then remembered. A missing or unreadable file simply means nothing is remembered.
"""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["prefs_path", "load_prefs", "save_prefs"]


def prefs_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("defuse", appauthor=False)) / "window.json"


def load_prefs() -> dict:
    try:
        doc = json.loads(prefs_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def save_prefs(**values) -> None:
    """Merge `values` into the file; failing to write is not worth interrupting play for."""
    doc = load_prefs()
    doc.update(values)
    path = prefs_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    except OSError:
        pass
