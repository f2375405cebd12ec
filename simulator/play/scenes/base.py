"""What every screen shares: the app it belongs to, keyboard focus, and the common keys."""
from __future__ import annotations

import pygame

from ..theme import COLOURS
from ..widgets import Activate, Button, Click, FocusRing, Move, read_input

__all__ = ["Scene"]


class Scene:
    typing = False  # True while a text field takes the keyboard

    def __init__(self, app):
        self.app = app
        self.focus = FocusRing()
        self.hover: Button | None = None

    # -- input

    def handle_event(self, event) -> None:
        if event.type == pygame.MOUSEMOTION:
            self.hover = next((b for b in self.focus.buttons if b.rect is not None and b.rect.collidepoint(event.pos)), None)
            return
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

    # -- time and drawing

    @property
    def animating(self) -> bool:
        """Whether the screen changes on its own (so the loop must keep drawing frames)."""
        return False

    def update(self, dt: float) -> None:
        pass

    def draw(self, surface) -> None:
        surface.fill(COLOURS["bg"])

    def draw_buttons(self, surface, size: int = 18) -> None:
        for i, b in enumerate(self.focus.buttons):
            if b.rect is not None:
                b.draw(surface, self.app.fonts, i == self.focus.index, size, hovered=b is self.hover)

    def draw_status(self, surface, help_text: str) -> None:
        """The bottom line: notices first (speech, audio), then the keys."""
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
        keys = font.render(help_text, True, COLOURS["muted"])
        if x + keys.get_width() + 16 <= bar.w:
            surface.blit(keys, (bar.right - keys.get_width() - 16, bar.y + 6))

    def status_height(self) -> int:
        return self.app.fonts.get(14).get_linesize() + 12
