"""The first screen: the installed scenarios as cards, and the trainee's name, asked once."""
from __future__ import annotations

from dataclasses import dataclass

import pygame

from ...model import band_of
from ...translations import languages_of
from ..profile import MAX_NAME
from ..theme import BAND_COLOURS, BAND_WORDS, COLOURS, fit, wrap
from ..widgets import Activate, Back, Button, Move, Pick, Quit, Typed, draw_lines, panel
from .base import Scene

__all__ = ["Picker", "Results", "past_results"]


@dataclass(frozen=True)
class Results:
    """One trainee's finished practice sessions of one scenario: the best and the latest score."""

    best: float
    last: float
    last_passed: bool
    sessions: int


def past_results(store, trainee: str) -> dict[str, Results]:
    """Scenario id -> this trainee's results, from their finished practice sessions in `store`
    (scripted runs and unfinished sessions do not count)."""
    if store is None or not trainee:
        return {}
    found: dict[str, Results] = {}
    for s in store.summaries(trainee=trainee, complete=True, mode="practice"):  # oldest first
        if s.total is None:
            continue
        was = found.get(s.scenario)
        found[s.scenario] = Results(
            best=s.total if was is None else max(was.best, s.total),
            last=s.total,
            last_passed=bool(s.passed),
            sessions=1 if was is None else was.sessions + 1,
        )
    return found

_SETTINGS = {"phone": "Phone call", "chat": "Chat", "in_person": "In person"}
_RENAME = object()  # the value of the "change name" button
_LANGUAGE = object()  # the value of the language button


class Picker(Scene):
    def __init__(self, app):
        super().__init__(app)
        self.entries = app.library.in_order()
        self.results = past_results(app.store, app.trainee)
        self.name = ""
        self.typing = not app.trainee
        self.cards: list[Button] = [Button(e.scenario.title, e, hint=str(i + 1) if i < 9 else "") for i, e in enumerate(self.entries)]
        self.rename = Button("Change name", _RENAME)
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
            self.results = past_results(self.app.store, self.app.trainee)
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
        # the name and language buttons, as wide as their words at this text size
        bw = max(150, f.get(15).size(self.rename.label)[0] + 28, f.get(14).size(self.language.label)[0] + 28 if self.language else 0)
        self.rename.rect = pygame.Rect(W - m - bw, m, bw, f.get(15).get_linesize() + 18)
        buttons_bottom = self.rename.rect.bottom
        if self.language is not None:
            self.language.rect = pygame.Rect(W - m - bw, self.rename.rect.bottom + 6, bw, f.get(14).get_linesize() + 16)
            buttons_bottom = self.language.rect.bottom
        who_font = f.get(16, bold=True)
        who = who_font.render(fit(f"Trainee: {self.app.trainee or '—'}", who_font, W - 3 * m - bw - title.get_width()), True, COLOURS["text"])
        surface.blit(who, (W - m - who.get_width() - bw - 20, m + 8))
        sub_font = f.get(16)
        sub_y = m + title.get_height() + 4
        room = W - 2 * m - (bw + 16 if sub_y < buttons_bottom else 0)
        sub = sub_font.render(fit("Pick a conversation to practise. The customer is upset; your job is to bring them down, step by step.", sub_font, room), True, COLOURS["muted"])
        surface.blit(sub, (m, sub_y))

        top = max(m + title.get_height() + sub.get_height() + 28, buttons_bottom + 12)
        bottom = H - self.status_height() - 8 - f.get(14).get_linesize()  # a line kept for "more below"
        cols = 2 if W >= 1000 else 1
        gap = 16
        cw = (W - 2 * m - gap * (cols - 1)) // cols
        ch = max(150, int(160 * f.scale))  # title, chips, protocol, past results, two goals
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
        hover = self.hover
        self.first_row = max(0, min(self.first_row, total_rows - rows_fit))
        for i, card in enumerate(self.cards):
            r, c = divmod(i, cols)
            r -= self.first_row
            if not 0 <= r < rows_fit:
                card.rect = None  # scrolled out of view: Tab, arrows and the wheel bring it back
                continue
            card.rect = pygame.Rect(m + c * (cw + gap), top + r * (ch + gap), cw, ch)
            self._draw_card(surface, card, i == self.focus.index, card is hover)
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
        self.rename.draw(surface, f, self.focus.current is self.rename, 15, hovered=self.rename is hover)
        if self.language is not None:
            self.language.draw(surface, f, self.focus.current is self.language, 14, hovered=self.language is hover)
        self.draw_status(surface, "1-9 or Enter pick · Tab/arrows move · Ctrl +/- text size · Esc quit")
        if self.typing:
            self._draw_name_prompt(surface)

    def _draw_card(self, surface, card: Button, focused: bool, hovered: bool) -> None:
        f = self.app.fonts
        sc = card.value.scenario
        rect = card.rect
        panel(surface, rect, COLOURS["panel_hi"] if (focused or hovered) else COLOURS["panel"])
        edge, width = (COLOURS["focus"], 3) if focused else ((COLOURS["accent"], 2) if hovered else (COLOURS["edge"], 1))
        pygame.draw.rect(surface, edge, rect, width, border_radius=14)
        x, y = rect.x + 16, rect.y + 14
        if card.hint:
            badge = f.get(16, bold=True).render(card.hint, True, COLOURS["bg"])
            b = pygame.Rect(x, y, badge.get_width() + 14, badge.get_height() + 4)
            pygame.draw.rect(surface, COLOURS["accent"], b, border_radius=6)
            surface.blit(badge, badge.get_rect(center=b.center))
            x = b.right + 12
        surface.blit(f.get(20, bold=True).render(fit(sc.title, f.get(20, bold=True), rect.right - 12 - x), True, COLOURS["text"]), (x, y))
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
        bold = f.get(14, bold=True)
        y = draw_lines(surface, [fit(f"Scored on: {self.app.protocol_title(sc.protocol)}", bold, rect.w - 32)], bold, COLOURS["text"], rect.x + 16, y) + 2
        y = draw_lines(surface, [fit(self.results_line(card.value.id), small, rect.w - 32)], small, COLOURS["accent"], rect.x + 16, y) + 2
        lines = []
        for goal in sc.goals[:2] or [sc.summary]:
            lines += wrap("• " + goal, small, rect.w - 32)
        room = max(1, (rect.bottom - 10 - y) // small.get_linesize())
        if len(lines) > room:
            lines = lines[:room]
            lines[-1] = lines[-1].rstrip(".;, ") + "…"
        draw_lines(surface, lines, small, COLOURS["muted"], rect.x + 16, y)

    def results_line(self, scenario_id: str) -> str:
        r = self.results.get(scenario_id)
        if r is None:
            return "Not played yet"
        verdict = "passed" if r.last_passed else "not passed"
        times = "once" if r.sessions == 1 else f"{r.sessions} times"
        return f"Your best {r.best:.0f} · last {r.last:.0f} ({verdict}) · played {times}"

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
