"""The first screen: the installed scenarios as cards, and the trainee's name, asked once."""
from __future__ import annotations

import pygame

from ...model import band_of
from ..profile import MAX_NAME
from ..theme import BAND_COLOURS, BAND_WORDS, COLOURS, wrap
from ..widgets import Activate, Back, Button, Move, Pick, Quit, Typed, draw_lines, panel
from .base import Scene

__all__ = ["Picker"]

_SETTINGS = {"phone": "Phone call", "chat": "Chat", "in_person": "In person"}
_RENAME = object()  # the value of the "change name" button
_LANGUAGE = object()  # the value of the language button


class Picker(Scene):
    def __init__(self, app):
        super().__init__(app)
        self.entries = sorted(app.library.entries().values(), key=lambda e: e.scenario.title.lower())
        self.name = ""
        self.typing = not app.trainee
        self.cards: list[Button] = [Button(e.scenario.title, e, hint=str(i + 1) if i < 9 else "") for i, e in enumerate(self.entries)]
        self.rename = Button("Change name", _RENAME)
        from ...translations import languages_of

        self.translations = {e.id: set(languages_of(e.path)) for e in self.entries}
        self.languages = [None] + sorted(set().union(*self.translations.values()))  # None: as written
        self.language = Button(self._language_label(), _LANGUAGE) if len(self.languages) > 1 else None
        self.focus.set(self.cards + [self.rename] + ([self.language] if self.language else []))
        self.first_row = 0  # rows of cards scrolled away: the focused card is always in view
        if self.typing:
            pygame.key.start_text_input()

    def handle_event(self, event) -> None:
        if event.type == pygame.MOUSEWHEEL and not self.typing and self.cards:
            self.first_row = max(0, self.first_row - event.y)
            cols = 2 if pygame.display.get_surface() is None or pygame.display.get_surface().get_width() >= 1000 else 1
            self.focus.index = min(len(self.cards) - 1, self.first_row * cols)
            return
        super().handle_event(event)

    def handle(self, action) -> None:
        if self.typing:
            self._type(action)
            return
        if isinstance(action, Back):
            self.app.quit()
        elif isinstance(action, Pick) and action.number <= len(self.cards):
            self.activate(self.cards[action.number - 1])
        elif isinstance(action, Move) and action.sideways:
            self.focus.move(action.step)
        else:
            super().handle(action)

    def _type(self, action) -> None:
        if isinstance(action, Typed):
            self.name = self.name[:-1] if action.text == "\b" else (self.name + action.text)[:MAX_NAME]
        elif isinstance(action, Activate) and self.name.strip():
            self.typing = False
            pygame.key.stop_text_input()
            self.app.set_trainee(self.name.strip())  # may go straight on to a scenario named on the command line
        elif isinstance(action, (Back, Quit)) and self.app.trainee:
            self.typing = False
            pygame.key.stop_text_input()
        elif isinstance(action, Back):
            self.app.quit()

    def _language_label(self) -> str:
        return f"Language: {self.app.language or 'as written'}"

    def activate(self, button: Button) -> None:
        if button.value is _LANGUAGE:
            i = self.languages.index(self.app.language) if self.app.language in self.languages else 0
            self.app.language = self.languages[(i + 1) % len(self.languages)]
            button.label = self._language_label()
            return
        if button.value is _RENAME:
            self.name = self.app.trainee or ""
            self.typing = True
            pygame.key.start_text_input()
            return
        self.app.play(button.value)

    @property
    def animating(self) -> bool:
        return False

    # -- drawing

    def draw(self, surface) -> None:
        super().draw(surface)
        W, H = surface.get_size()
        f = self.app.fonts
        m = 24
        title = f.get(30, bold=True).render("Defuse", True, COLOURS["text"])
        surface.blit(title, (m, m))
        sub = f.get(16).render("Pick a conversation to practise. The customer is upset; your job is to bring them down, step by step.", True, COLOURS["muted"])
        surface.blit(sub, (m, m + title.get_height() + 4))
        who = f.get(16, bold=True).render(f"Trainee: {self.app.trainee or '—'}", True, COLOURS["text"])
        surface.blit(who, (W - m - who.get_width() - 170, m + 8))
        self.rename.rect = pygame.Rect(W - m - 150, m, 150, 40)
        if self.language is not None:
            self.language.rect = pygame.Rect(W - m - 150, m + 46, 150, 34)

        top = m + title.get_height() + sub.get_height() + 28
        bottom = H - self.status_height() - 8 - f.get(14).get_linesize()  # a line kept for "more below"
        cols = 2 if W >= 1000 else 1
        gap = 16
        cw = (W - 2 * m - gap * (cols - 1)) // cols
        ch = max(130, int(140 * f.scale))
        rows_fit = max(1, (bottom - top + gap) // (ch + gap))
        ch = min(int(ch * 1.25), (bottom - top - gap * (rows_fit - 1)) // rows_fit)  # share the spare height
        focused = self.focus.index if self.focus.index < len(self.cards) else None
        if focused is not None:
            row = focused // cols
            if row < self.first_row:
                self.first_row = row
            elif row >= self.first_row + rows_fit:
                self.first_row = row - rows_fit + 1
        total_rows = (len(self.cards) + cols - 1) // cols
        self.first_row = max(0, min(self.first_row, total_rows - rows_fit))
        for i, card in enumerate(self.cards):
            r, c = divmod(i, cols)
            r -= self.first_row
            if not 0 <= r < rows_fit:
                card.rect = None  # scrolled out of view: Tab, arrows and the wheel bring it back
                continue
            card.rect = pygame.Rect(m + c * (cw + gap), top + r * (ch + gap), cw, ch)
            self._draw_card(surface, card, i == self.focus.index, card is self.hover)
        small = f.get(14)
        if self.first_row > 0:
            up = small.render(f"↑ {self.first_row * cols} more above", True, COLOURS["muted"])
            surface.blit(up, (W - m - up.get_width(), top - up.get_height() - 4))
        below = len(self.cards) - (self.first_row + rows_fit) * cols
        if below > 0:
            down = small.render(f"↓ {below} more below (arrows or the mouse wheel)", True, COLOURS["muted"])
            surface.blit(down, (W - m - down.get_width(), bottom + 2))
        if not self.cards:
            draw_lines(surface, ["No scenarios are installed. Add a folder with --scenarios DIR."], f.get(18), COLOURS["text"], m, top)
        self.rename.draw(surface, f, self.focus.current is self.rename, 15, hovered=self.rename is self.hover)
        if self.language is not None:
            self.language.draw(surface, f, self.focus.current is self.language, 14, hovered=self.language is self.hover)
        self.draw_status(surface, "1-9 or Enter pick · Tab/arrows move · Ctrl +/- text size · Esc quit")
        if self.typing:
            self._draw_name_prompt(surface)

    def _draw_card(self, surface, card: Button, focused: bool, hovered: bool) -> None:
        f = self.app.fonts
        sc = card.value.scenario
        rect = card.rect
        panel(surface, rect, COLOURS["panel_hi"] if (focused or hovered) else COLOURS["panel"])
        pygame.draw.rect(surface, COLOURS["focus"] if focused else COLOURS["edge"], rect, 3 if focused else 1, border_radius=14)
        x, y = rect.x + 16, rect.y + 14
        if card.hint:
            badge = f.get(16, bold=True).render(card.hint, True, COLOURS["bg"])
            b = pygame.Rect(x, y, badge.get_width() + 14, badge.get_height() + 4)
            pygame.draw.rect(surface, COLOURS["accent"], b, border_radius=6)
            surface.blit(badge, badge.get_rect(center=b.center))
            x = b.right + 12
        surface.blit(f.get(20, bold=True).render(sc.title, True, COLOURS["text"]), (x, y))
        y += f.get(20, bold=True).get_linesize() + 6
        # chips: setting, starting anger, protocol
        band = band_of(sc.persona.anger)
        chips = [
            (f"{_SETTINGS.get(sc.setting.value, sc.setting.value)} · {sc.industry}", COLOURS["edge"], COLOURS["text"]),
            (f"Starts {BAND_WORDS[band].lower()} ({sc.persona.anger:.0f})", BAND_COLOURS[band], COLOURS["bg"]),
        ]
        if self.app.language and self.app.language in self.translations.get(card.value.id, ()):
            chips.append((f"In {self.app.language}", COLOURS["accent"], COLOURS["bg"]))
        cx = rect.x + 16
        small = f.get(14)
        for text, bg, fg in chips:
            img = small.render(text, True, fg)
            chip = pygame.Rect(cx, y, img.get_width() + 16, img.get_height() + 6)
            if chip.right > rect.right - 12:
                break
            pygame.draw.rect(surface, bg, chip, border_radius=chip.h // 2)
            surface.blit(img, (chip.x + 8, chip.y + 3))
            cx = chip.right + 8
        y += small.get_linesize() + 12
        y = draw_lines(surface, [f"Scored on: {self.app.protocol_title(sc.protocol)}"], f.get(14, bold=True), COLOURS["text"], rect.x + 16, y) + 2
        lines = []
        for goal in sc.goals[:2] or [sc.summary]:
            lines += wrap("• " + goal, small, rect.w - 32)
        room = max(1, (rect.bottom - 10 - y) // small.get_linesize())
        if len(lines) > room:
            lines = lines[:room]
            lines[-1] = lines[-1].rstrip(".;, ") + "…"
        draw_lines(surface, lines, small, COLOURS["muted"], rect.x + 16, y)

    def _draw_name_prompt(self, surface) -> None:
        W, H = surface.get_size()
        f = self.app.fonts
        shade = pygame.Surface((W, H), pygame.SRCALPHA)
        shade.fill((0, 0, 0, 160))
        surface.blit(shade, (0, 0))
        box = pygame.Rect(0, 0, min(560, W - 40), int(172 * f.scale))
        box.center = (W // 2, H // 2)
        panel(surface, box, COLOURS["panel_hi"])
        y = draw_lines(surface, ["What should we call you?"], f.get(22, bold=True), COLOURS["text"], box.x + 24, box.y + 20)
        y = draw_lines(surface, ["Your name is kept with your sessions so an instructor can find them."], f.get(14), COLOURS["muted"], box.x + 24, y + 2)
        field = pygame.Rect(box.x + 24, y + 12, box.w - 48, f.get(20).get_linesize() + 16)
        pygame.draw.rect(surface, COLOURS["bg"], field, border_radius=8)
        pygame.draw.rect(surface, COLOURS["focus"], field, 2, border_radius=8)
        surface.blit(f.get(20).render(self.name + "▏", True, COLOURS["text"]), (field.x + 10, field.y + 8))
        draw_lines(surface, ["Enter to continue"], f.get(14), COLOURS["muted"], field.x, field.bottom + 8)
