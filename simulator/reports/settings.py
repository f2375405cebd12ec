"""`defuse config`: an organisation's own xAPI identity, kept in a small JSON file.

The file is `config.json` in the user's config folder (platformdirs: `~/.config/defuse/` on
Linux), or where `DEFUSE_CONFIG` says. It holds only these keys:

- `xapi.homepage`: the actor account's `homePage`, naming trainees in the LMS;
- `xapi.activity_base`: the IRI every activity and extension id starts with.

An option on the command line wins over the environment (`DEFUSE_XAPI_HOMEPAGE`), which wins
over the file, which wins over the built-in default.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from platformdirs import user_config_dir

from simulator.diagnostics import DefuseError

from .xapi import ACTIVITY_BASE, DEFAULT_HOMEPAGE

__all__ = ["KEYS", "config_path", "load", "save", "check", "resolved", "xapi_identity"]

KEYS = {
    "xapi.homepage": "the actor account's homePage (the LMS that names the trainees)",
    "xapi.activity_base": "the IRI that starts every activity and extension id",
}


def config_path() -> Path:
    env = os.environ.get("DEFUSE_CONFIG")
    if env:
        return Path(env)
    return Path(user_config_dir("defuse", appauthor=False)) / "config.json"


def check(key: str, value: str) -> str:
    """The value if the key is known and the value an absolute http(s) IRI, else DefuseError."""
    if key not in KEYS:
        raise DefuseError(f"unknown setting {key!r}: one of {', '.join(KEYS)}")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.username or parts.password or parts.query or parts.fragment:
        raise DefuseError(f"{key}: {value!r} is not an http(s) IRI without credentials, query or fragment")
    return value.strip()


def load(path: Path | None = None) -> dict[str, str]:
    """The settings in the file (none when it does not exist); a broken file is a DefuseError naming it."""
    path = path or config_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise DefuseError(f"{path}: cannot read the configuration ({e.strerror or e})") from None
    try:
        doc = json.loads(raw)
    except ValueError as e:
        raise DefuseError(f"{path}: not a JSON configuration ({e})") from None
    if not isinstance(doc, dict):
        raise DefuseError(f"{path}: not a JSON object of settings")
    out = {}
    for key, value in doc.items():
        if not isinstance(value, str):
            raise DefuseError(f"{path}: {key} must be text")
        out[key] = check(key, value)
    return out


def save(settings: dict[str, str], path: Path | None = None) -> Path:
    """Write the settings (a temporary file renamed into place, so a crash leaves the old file)."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(dict(sorted(settings.items())), indent=2) + "\n", encoding="utf-8")
    os.replace(part, path)
    return path


def resolved(option: str | None, key: str, env: str | None, default: str) -> str:
    """The value in force: the option, else the environment variable, else the file, else the default."""
    if option:
        return check(key, option)
    if env and os.environ.get(env):
        return check(key, os.environ[env])
    return load().get(key, default)


def xapi_identity(args) -> tuple[str, str]:
    """The xAPI homePage and activity base in force for this command (option, environment, config, default)."""
    return (
        resolved(args.homepage, "xapi.homepage", "DEFUSE_XAPI_HOMEPAGE", DEFAULT_HOMEPAGE),
        resolved(args.activity_base, "xapi.activity_base", None, ACTIVITY_BASE),
    )
