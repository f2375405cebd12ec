"""Whether a window can open here: a display server, or SDL's dummy/offscreen driver."""
from __future__ import annotations

import os
import sys

__all__ = ["has_display"]


def has_display() -> bool:
    driver = os.environ.get("SDL_VIDEODRIVER", "")
    if driver in ("dummy", "offscreen"):
        return True
    if sys.platform.startswith(("win", "darwin")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
