"""Small drawn pieces shared by the screens: buttons with keyboard focus, panels, the anger meter.

Input reaches the screens as action objects (`Activate`, `Move`, `Pick`...), made from
pygame events by `read_input`, so a screen's logic never looks at raw key codes and the
autoplay driver can hand it the same actions a trainee would.
"""
from __future__ import annotations

from dataclasses import dataclass

import pygame

from ..model import BAND_FLOORS, Band, band_of
from .theme import BAND_COLOURS, BAND_WORDS, COLOURS, Fonts, blend, wrap

__all__ = [
    "Button",
    "FocusRing",
    "Activate",
    "Move",
    "Pick",
    "Back",
    "Quit",
    "TextSize",
    "Click",
    "Typed",
    "read_input",
    "panel",
    "draw_lines",
    "draw_meter",
]


# ---------------------------------------------------------------- actions


@dataclass(frozen=True)
class Activate:  # Enter / Space on the focused control
    pass


@dataclass(frozen=True)
class Move:  # Tab / arrows: move the focus by `step`
    step: int
    sideways: bool = False


@dataclass(frozen=True)
class Pick:  # a number key: the n-th control (1-based)
    number: int


@dataclass(frozen=True)
class Back:  # Esc
    pass


@dataclass(frozen=True)
class Quit:  # the window was closed
    pass


@dataclass(frozen=True)
class TextSize:  # Ctrl+= / Ctrl+- change the size by `step`; Ctrl+0 (step 0) resets it
    step: int


@dataclass(frozen=True)
class Click:
    pos: tuple[int, int]


@dataclass(frozen=True)
class Typed:  # text typed into a field, or a backspace (text == "\b")
    text: str


_NUMBER_KEYS = {getattr(pygame, f"K_{i}"): i for i in range(1, 10)}
_NUMBER_KEYS.update({getattr(pygame, f"K_KP{i}"): i for i in range(1, 10)})


def read_input(event, typing: bool = False):
    """The action a pygame event stands for, or None. While `typing`, keys become text."""
    if event.type == pygame.QUIT:
        return Quit()
    if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
        return Click(event.pos)
    if event.type == pygame.TEXTINPUT and typing:
        return Typed(event.text)
    if event.type != pygame.KEYDOWN:
        return None
    key, mods = event.key, event.mod
    if mods & pygame.KMOD_CTRL:
        if key in (pygame.K_EQUALS, pygame.K_PLUS, pygame.K_KP_PLUS):
            return TextSize(+1)
        if key in (pygame.K_MINUS, pygame.K_KP_MINUS):
            return TextSize(-1)
        if key in (pygame.K_0, pygame.K_KP0):
            return TextSize(0)
        return None
    if key == pygame.K_ESCAPE:
        return Back()
    if key in (pygame.K_RETURN, pygame.K_KP_ENTER) or (key == pygame.K_SPACE and not typing):
        return Activate()
    if key == pygame.K_BACKSPACE and typing:
        return Typed("\b")
    if key == pygame.K_TAB:
        return Move(-1 if mods & pygame.KMOD_SHIFT else 1)
    if key in (pygame.K_DOWN, pygame.K_UP):
        return Move(1 if key == pygame.K_DOWN else -1)
    if key in (pygame.K_LEFT, pygame.K_RIGHT):
        return Move(1 if key == pygame.K_RIGHT else -1, sideways=True)
    if key in _NUMBER_KEYS and not typing:
        return Pick(_NUMBER_KEYS[key])
    return None


# ---------------------------------------------------------------- controls


@dataclass
class Button:
    label: str
    value: object
    rect: pygame.Rect = None
    hint: str = ""  # the keyboard shortcut shown on the button
    chosen: bool = False
    centred: bool = False  # a one-symbol button (the arrows)

    def draw(self, surface, fonts: Fonts, focused: bool, size: int = 18, hovered: bool = False) -> None:
        base = COLOURS["panel_hi"] if (focused or hovered) else COLOURS["panel"]
        if self.chosen:
            base = blend(COLOURS["panel_hi"], COLOURS["accent"], 0.35)
        pygame.draw.rect(surface, base, self.rect, border_radius=10)
        # the keyboard focus: a thick yellow ring; the mouse pointer over it: a blue one
        edge, width = (COLOURS["focus"], 3) if focused else ((COLOURS["accent"], 2) if hovered else (COLOURS["edge"], 1))
        pygame.draw.rect(surface, edge, self.rect, width=width, border_radius=10)
        font = fonts.get(size)
        if self.centred:
            img = font.render(self.label, True, COLOURS["text"])
            surface.blit(img, img.get_rect(center=self.rect.center))
            return
        x = self.rect.x + 14
        if self.hint:
            badge = fonts.get(size, bold=True).render(self.hint, True, COLOURS["bg"])
            bw = max(badge.get_width() + 14, badge.get_height() + 4)
            brect = pygame.Rect(x, self.rect.y + 10, bw, badge.get_height() + 4)
            pygame.draw.rect(surface, COLOURS["accent"], brect, border_radius=6)
            surface.blit(badge, badge.get_rect(center=brect.center))
            x = brect.right + 12
        lines = wrap(self.label, font, self.rect.right - x - 12)
        y = self.rect.y + 10
        for line in lines:
            surface.blit(font.render(line, True, COLOURS["text"]), (x, y))
            y += font.get_linesize()

    def height_for(self, fonts: Fonts, width: int, size: int = 18) -> int:
        """The height `draw` will need at this width (the same wrapping, so buttons never overlap)."""
        font = fonts.get(size)
        text_w = width - 26
        if self.hint:
            badge = fonts.get(size, bold=True)
            bw = max(badge.size(self.hint)[0] + 14, badge.get_height() + 4)
            text_w = width - 38 - bw
        lines = wrap(self.label, font, text_w)
        return len(lines) * font.get_linesize() + 20


class FocusRing:
    """Which control has the keyboard focus; Tab, arrows and the mouse all move it."""

    def __init__(self):
        self.buttons: list[Button] = []
        self.index = 0

    def set(self, buttons: list[Button], keep: bool = True) -> None:
        self.buttons = buttons
        if not keep or self.index >= len(buttons):
            self.index = 0

    def move(self, step: int) -> None:
        if self.buttons:
            self.index = (self.index + step) % len(self.buttons)

    @property
    def current(self) -> Button | None:
        return self.buttons[self.index] if self.buttons else None

    def at(self, pos) -> Button | None:
        for i, b in enumerate(self.buttons):
            if b.rect is not None and b.rect.collidepoint(pos):
                self.index = i
                return b
        return None


# ---------------------------------------------------------------- drawing helpers


def panel(surface, rect, colour=None, radius: int = 14) -> None:
    pygame.draw.rect(surface, colour or COLOURS["panel"], rect, border_radius=radius)


def draw_lines(surface, lines: list[str], font, colour, x: int, y: int) -> int:
    """Blit lines top-down; returns the y below the last one."""
    for line in lines:
        surface.blit(font.render(line, True, colour), (x, y))
        y += font.get_linesize()
    return y


def draw_meter(surface, rect: pygame.Rect, anger: float, fonts: Fonts) -> None:
    """A horizontal anger meter: coloured by band, labelled with the band in words and the number."""
    band = band_of(anger)
    label_font = fonts.get(16, bold=True)
    title = label_font.render(f"Anger: {BAND_WORDS[band]}", True, COLOURS["text"])
    surface.blit(title, (rect.x, rect.y))
    num = fonts.get(16).render(f"{anger:.0f} / 100", True, COLOURS["muted"])
    if rect.x + title.get_width() + 12 + num.get_width() <= rect.right:
        surface.blit(num, (rect.right - num.get_width(), rect.y))
    bar = pygame.Rect(rect.x, rect.y + title.get_height() + 6, rect.w, max(14, rect.h - title.get_height() - 30))
    pygame.draw.rect(surface, COLOURS["bg"], bar, border_radius=7)
    bands = list(Band)
    for i, b in enumerate(bands):  # faint band zones, so the scale reads without the fill
        lo = BAND_FLOORS[b]
        hi = BAND_FLOORS[bands[i + 1]] if i + 1 < len(bands) else 100.0
        zone = pygame.Rect(bar.x + int(bar.w * lo / 100), bar.y, int(bar.w * (hi - lo) / 100), bar.h)
        pygame.draw.rect(surface, blend(COLOURS["bg"], BAND_COLOURS[b], 0.22), zone)
    fill = bar.copy()
    fill.w = max(4, int(bar.w * max(0.0, min(100.0, anger)) / 100))
    pygame.draw.rect(surface, BAND_COLOURS[band], fill, border_radius=7)
    for b in bands[1:]:  # tick marks at the band edges
        x = bar.x + int(bar.w * BAND_FLOORS[b] / 100)
        pygame.draw.line(surface, COLOURS["text"], (x, bar.y - 3), (x, bar.bottom + 2), 1)
    small = fonts.get(12)
    if max(small.size(BAND_WORDS[b])[0] for b in bands) > bar.w / 4 - 4:
        return  # too narrow for the words under the bar; the title above names the band
    for i, b in enumerate(bands):
        lo = BAND_FLOORS[b]
        hi = BAND_FLOORS[bands[i + 1]] if i + 1 < len(bands) else 100.0
        word = small.render(BAND_WORDS[b].lower(), True, COLOURS["text"] if b == band else COLOURS["muted"])
        cx = bar.x + int(bar.w * (lo + hi) / 200)
        surface.blit(word, word.get_rect(midtop=(cx, bar.bottom + 4)))
