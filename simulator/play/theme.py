"""How the window looks: colours, the bundled font at any size, and wrapped text.

The band colours come from the Okabe-Ito palette, which stays distinct for the common kinds
of colour blindness; every coloured thing is also labelled in words. The font is the
bundled DejaVu Sans (read with importlib.resources), never a system font.
"""
from __future__ import annotations

from importlib import resources

import pygame

from ..model import Band

__all__ = ["COLOURS", "BAND_COLOURS", "BAND_WORDS", "Fonts", "wrap", "fit", "clip_lines", "blend"]

COLOURS = {
    "bg": (24, 28, 37),
    "panel": (36, 42, 54),
    "panel_hi": (48, 56, 72),
    "edge": (70, 80, 100),
    "text": (234, 238, 244),
    "muted": (158, 168, 186),
    "accent": (86, 180, 233),  # sky blue
    "focus": (240, 228, 66),  # yellow ring: visible on every panel colour
    "good": (0, 158, 115),  # bluish green
    "bad": (213, 94, 0),  # vermillion
    "trainee": (86, 180, 233),
    "customer": (234, 238, 244),
    "narration": (190, 176, 220),
}

BAND_COLOURS = {
    Band.CALM: (0, 114, 178),  # blue
    Band.UPSET: (240, 228, 66),  # yellow
    Band.ANGRY: (230, 159, 0),  # orange
    Band.HOSTILE: (213, 94, 0),  # vermillion
}

BAND_WORDS = {Band.CALM: "Calm", Band.UPSET: "Upset", Band.ANGRY: "Angry", Band.HOSTILE: "Hostile"}


def blend(a, b, t: float):
    t = max(0.0, min(1.0, t))
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))


class Fonts:
    """The bundled font at the sizes asked for, scaled by the trainee's text size."""

    def __init__(self, scale: float = 1.0):
        self.scale = scale
        self._cache: dict[tuple[int, bool, bool], pygame.font.Font] = {}
        base = resources.files("simulator.assets") / "fonts"
        self._paths = {False: base / "DejaVuSans.ttf", True: base / "DejaVuSans-Bold.ttf"}

    def get(self, size: int, bold: bool = False, italic: bool = False) -> pygame.font.Font:
        """The font at `size` points times the text size; `italic` slants it (narration)."""
        px = max(8, int(round(size * self.scale)))
        key = (px, bold, italic)
        if key not in self._cache:
            with resources.as_file(self._paths[bold]) as path:
                font = pygame.font.Font(str(path), px)
            font.italic = italic  # DejaVu Sans ships no oblique face here: SDL_ttf slants it
            self._cache[key] = font
        return self._cache[key]


def wrap(text: str, font: pygame.font.Font, width: int) -> list[str]:
    """Lines of `text` that fit `width` pixels, broken between words (long words are split)."""
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split(" "):
            trial = f"{line} {word}" if line else word
            if font.size(trial)[0] <= width:
                line = trial
                continue
            if line:
                lines.append(line)
            while font.size(word)[0] > width and len(word) > 1:
                cut = len(word)
                while cut > 1 and font.size(word[:cut])[0] > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def fit(text: str, font: pygame.font.Font, width: int) -> str:
    """`text` cut with an ellipsis so that it fits `width` pixels on one line."""
    if font.size(text)[0] <= width:
        return text
    while text and font.size(text + "…")[0] > width:
        text = text[:-1]
    return text.rstrip() + "…" if text else ""


def clip_lines(lines: list[str], font: pygame.font.Font, width: int, room: int) -> list[str]:
    """At most `room` lines; the last one ends in an ellipsis when something was cut."""
    if len(lines) <= room:
        return lines
    if room <= 0:
        return []
    kept = lines[:room]
    kept[-1] = fit(kept[-1] + " …", font, width)
    return kept
