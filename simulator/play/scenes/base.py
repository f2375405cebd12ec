"""What every screen shares: the app it belongs to, keyboard focus, and the common keys."""
from __future__ import annotations

import pygame

from ..theme import COLOURS, fit
from ..widgets import Activate, Button, Click, FocusRing, Move, read_input

__all__ = ["Scene"]

_HAND = None  # the pointer shape now shown: a hand over a control, the arrow elsewhere


def _pointer_shape(over_control: bool) -> None:
    global _HAND
    if _HAND is over_control:
        return
    _HAND = over_control
    try:
        pygame.mouse.set_cursor(pygame.SYSTEM_CURSOR_HAND if over_control else pygame.SYSTEM_CURSOR_ARROW)
    except pygame.error:  # a driver with no cursors (the dummy one): the highlight is enough
        pass


class Scene:
    typing = False  # True while a text field takes the keyboard
    # pixels the screen's layout needs per unit of text size: a larger text size is held down to
    # what the window can hold (see window.max_text_scale)
    text_room = (640, 400)

    def __init__(self, app):
        self.app = app
        self.focus = FocusRing()
        # where the mouse last was: what it is over is worked out at each draw, so a control
        # that replaces another under a still pointer (the next turn's options) lights up too
        self.pointer: tuple[int, int] | None = None

    # -- input

    def handle_event(self, event) -> None:
        if event.type == pygame.MOUSEMOTION:
            self.pointer = event.pos
            return
        if event.type == pygame.WINDOWLEAVE:
            self.pointer = None
            return
        if event.type == pygame.MOUSEBUTTONDOWN:
            self.pointer = event.pos
        action = read_input(event, typing=self.typing)
        if action is not None:
            self.handle(action)

    def handle(self, action) -> None:
        """Apply one action; screens override and fall back here for focus and clicks."""
        if isinstance(action, Move):
            self.focus.move(action.step)
        elif isinstance(action, Activate) and self.focus.current is not None:
            self.activate(self.focus.current)
        elif isinstance(action, Click):
            hit = self.focus.at(action.pos)
            if hit is not None:
                self.activate(hit)

    def activate(self, button: Button) -> None:
        raise NotImplementedError

    @property
    def hover(self) -> Button | None:
        """The control under the mouse pointer, if any (as last drawn)."""
        if self.pointer is None:
            return None
        return next((b for b in self.focus.buttons if b.rect is not None and b.rect.collidepoint(self.pointer)), None)

    # -- time and drawing

    @property
    def animating(self) -> bool:
        """Whether the screen changes on its own (so the loop must keep drawing frames)."""
        return False

    @property
    def wake_ms(self) -> int:
        """While nothing moves, how long the loop may sleep before looking in (speech renders finishing)."""
        return 250

    def update(self, dt: float) -> None:
        pass

    def draw(self, surface) -> None:
        self.app.fit_text(surface.get_size(), self.text_room)  # every screen draws at the text size this window can take
        surface.fill(COLOURS["bg"])

    def draw_buttons(self, surface, size: int = 18) -> None:
        hover = self.hover
        for i, b in enumerate(self.focus.buttons):
            if b.rect is not None:
                b.draw(surface, self.app.fonts, i == self.focus.index, size, hovered=b is hover)

    def draw_status(self, surface, help_text: str) -> None:
        """The bottom line: notices first (speech, audio), then the keys. Every screen draws it last."""
        _pointer_shape(self.hover is not None)
        fonts = self.app.fonts
        font = fonts.get(14)
        h = font.get_linesize() + 12
        bar = pygame.Rect(0, surface.get_height() - h, surface.get_width(), h)
        pygame.draw.rect(surface, COLOURS["panel"], bar)
        x = 16
        for note, warning in self.app.notices():
            img = font.render(("⚠ " if warning else "♪ ") + note, True, COLOURS["focus"] if warning else COLOURS["muted"])
            surface.blit(img, (x, bar.y + 6))
            x += img.get_width() + 24
        room = bar.w - x - 16
        if room >= font.size("Esc …")[0]:  # the keys, cut to the room the notices leave
            keys = font.render(fit(help_text, font, room), True, COLOURS["muted"])
            surface.blit(keys, (bar.right - keys.get_width() - 16, bar.y + 6))

    def status_height(self) -> int:
        return self.app.fonts.get(14).get_linesize() + 12
