"""The customer's distress in the window: one labelled bar under the anger meter (the debrief
names it beside the session's details, in the same colour). Drawn only for a persona that has distress (a frightened or despairing
customer); everyone else's screen is unchanged."""
from __future__ import annotations

import pygame

from ..model import distress_word
from .theme import COLOURS

__all__ = ["draw_distress", "DISTRESS_COLOUR"]

DISTRESS_COLOUR = (122, 142, 214)  # a cool blue: not one of the anger bands' colours


def draw_distress(surface, rect: pygame.Rect, distress: float | None, fonts) -> int:
    """A slim bar 'Distress: worried 40 / 100' at the top of `rect`; returns the height used (0 when none)."""
    if distress is None:
        return 0
    label = fonts.get(14, bold=True)
    title = label.render(f"Distress: {distress_word(distress)}", True, COLOURS["text"])
    surface.blit(title, (rect.x, rect.y))
    num = fonts.get(14).render(f"{distress:.0f} / 100", True, COLOURS["muted"])
    if rect.x + title.get_width() + 12 + num.get_width() <= rect.right:
        surface.blit(num, (rect.right - num.get_width(), rect.y))
    bar = pygame.Rect(rect.x, rect.y + title.get_height() + 4, rect.w, 10)
    pygame.draw.rect(surface, COLOURS["bg"], bar, border_radius=5)
    fill = bar.copy()
    fill.w = max(3, int(bar.w * max(0.0, min(100.0, distress)) / 100))
    pygame.draw.rect(surface, DISTRESS_COLOUR, fill, border_radius=5)
    return bar.bottom - rect.y + 10

