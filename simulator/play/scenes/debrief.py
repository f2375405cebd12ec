"""After the conversation: the score and verdict, the protocol's steps, the anger curve and
the feedback, with the protocol switchable to see how another procedure judges the same session."""
from __future__ import annotations

import pygame

from scoring import fail_reasons, step_label

from ...model import BAND_FLOORS, Band, band_of, distress_summary
from ..conversation import saving_note
from ..distress import DISTRESS_COLOUR
from ...session import Recorder
from ..theme import BAND_COLOURS, BAND_WORDS, COLOURS, blend, clip_lines, fit, wrap
from ..widgets import Back, Button, Move, Pick, draw_lines, panel
from .base import Scene

__all__ = ["Debrief"]

_PREV, _NEXT, _RETRY, _OTHER, _QUIT = "prev", "next", "retry", "other", "quit"
# how the protocol's steps are laid out, tried in order until they all fit: (columns, share of the width)
_STEP_LAYOUTS = ((1, 0.42), (2, 0.5), (2, 0.62), (3, 0.62), (3, 1.0))
_OUTCOMES = {
    "resolved": "Resolved",
    "escalated": "Escalated to a supervisor",
    "disengaged": "Disengaged politely",
    "customer_left": "The customer left",
    "help_called": "Help was called",
}


class Debrief(Scene):
    text_room = (800, 600)  # every step of a 12-step protocol, in three columns at most (measured: tests/test_window_rough_edges.py)
    def __init__(self, app, recorder: Recorder):
        super().__init__(app)
        self.recorder = recorder
        self.protocols = app.protocol_list()
        if recorder.scenario.alternates:  # the trainer chose what is worth comparing
            wanted = recorder.scenario.protocol_ids
            self.protocols = sorted((p for p in self.protocols if p.id in wanted), key=lambda p: wanted.index(p.id))
        ids = [p.id for p in self.protocols]
        self.index = ids.index(recorder.protocol.id) if recorder.protocol.id in ids else 0
        if recorder.protocol.id not in ids:
            self.protocols.insert(0, recorder.protocol)
        self.result = recorder.finish() if recorder.finished else recorder.rescore(recorder.protocol)
        self.buttons = {
            _PREV: Button("◀", _PREV, centred=True),
            _NEXT: Button("▶", _NEXT, centred=True),
            _RETRY: Button("Retry", _RETRY, hint="R"),
            _OTHER: Button("Another scenario", _OTHER, hint="A"),
            _QUIT: Button("Quit", _QUIT, hint="Q"),
        }
        self.focus.set([self.buttons[k] for k in (_RETRY, _OTHER, _QUIT, _PREV, _NEXT)])
        self.first_feedback = 0  # scrolled with Page Up / Page Down or the mouse wheel
        self.layout: dict = {}  # what the last draw showed (the protocol row, the steps)

    @property
    def protocol(self):
        return self.protocols[self.index]

    def switch(self, step: int) -> None:
        """Score the same session against the next or previous protocol."""
        self.index = (self.index + step) % len(self.protocols)
        self.result = self.recorder.rescore(self.protocol)
        self.first_feedback = 0

    def scroll(self, step: int) -> None:
        self.first_feedback = max(0, min(len(self.result.feedback) - 1, self.first_feedback + step))

    def handle(self, action) -> None:
        if isinstance(action, Move) and action.sideways:
            self.switch(action.step)
        elif isinstance(action, Back):
            self.app.picker()
        elif isinstance(action, Pick):
            return
        else:
            super().handle(action)

    def handle_event(self, event) -> None:
        if event.type == pygame.MOUSEWHEEL:
            self.scroll(-event.y)
            return
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_PAGEUP, pygame.K_PAGEDOWN):
            self.scroll(1 if event.key == pygame.K_PAGEDOWN else -1)
            return
        if event.type == pygame.KEYDOWN and not event.mod & pygame.KMOD_CTRL:
            letter = {pygame.K_r: _RETRY, pygame.K_a: _OTHER, pygame.K_q: _QUIT}.get(event.key)
            if letter:
                self.activate(self.buttons[letter])
                return
        super().handle_event(event)

    def activate(self, button: Button) -> None:
        v = button.value
        if v == _PREV:
            self.switch(-1)
        elif v == _NEXT:
            self.switch(+1)
        elif v == _RETRY:
            self.app.play_again(self.recorder)
        elif v == _OTHER:
            self.app.picker()
        elif v == _QUIT:
            self.app.quit()

    # -- drawing

    def draw(self, surface) -> None:
        super().draw(surface)
        W, H = surface.get_size()
        f = self.app.fonts
        r, st = self.result, self.recorder.state
        m = 20
        sc = self.recorder.scenario
        head = f.get(22, bold=True).render(f"Debrief · {sc.title}", True, COLOURS["text"])
        surface.blit(head, (m, m))
        outcome = _OUTCOMES.get(st.outcome.value, st.outcome.value) if st.outcome else "Not finished"
        meta = f.get(14).render(f"Trainee {self.recorder.trainee} · {len(st.turns)} turns · {outcome}", True, COLOURS["muted"])
        surface.blit(meta, (W - m - meta.get_width(), m + 6))
        distress = distress_summary(st)  # a frightened or despairing customer: how their distress went
        if distress:
            line = f.get(14, bold=True).render(distress, True, DISTRESS_COLOUR)
            surface.blit(line, (W - m - meta.get_width() - 24 - line.get_width(), m + 6))
        y = m + head.get_height() + 12
        bottom = H - self.status_height() - 12
        if self.recorder.detached:  # the store failed mid-session and the trainee went on without it
            font = f.get(14, bold=True)
            note = fit(saving_note(self.recorder), font, W - 2 * m)
            surface.blit(font.render(note, True, COLOURS["bad"]), (m, y - 4))
            y += font.get_linesize() + 4
            self.layout["saved"] = note

        # the verdict
        small = f.get(14)
        verdict = pygame.Rect(m, y, W - 2 * m, int(88 * f.scale))
        panel(surface, verdict)
        big = f.get(40, bold=True).render(f"{r.total:.0f}", True, COLOURS["text"])
        surface.blit(big, (verdict.x + 20, verdict.y + (verdict.h - big.get_height()) // 2))
        of = f.get(18).render("/ 100", True, COLOURS["muted"])
        surface.blit(of, (verdict.x + 28 + big.get_width(), verdict.centery - of.get_height() // 2 + 6))
        word = "PASS ✓" if r.passed else "FAIL ✗"
        badge_img = f.get(20, bold=True).render(word, True, COLOURS["bg"])
        badge = pygame.Rect(verdict.x + 48 + big.get_width() + of.get_width(), 0, badge_img.get_width() + 24, badge_img.get_height() + 10)
        badge.centery = verdict.centery
        pygame.draw.rect(surface, COLOURS["good"] if r.passed else COLOURS["bad"], badge, border_radius=badge.h // 2)
        surface.blit(badge_img, badge_img.get_rect(center=badge.center))
        info_x = badge.right + 20
        info_w = verdict.right - 16 - info_x
        comps = "  ".join(f"{k} {v:.2f}" for k, v in r.components.items() if v is not None)
        info = wrap(self._why_line(), small, info_w) + wrap(f"pass mark {r.pass_mark:.0f} · {comps}", small, info_w)
        info = clip_lines(info, small, info_w, (verdict.h - 16) // small.get_linesize())
        draw_lines(surface, info, small, COLOURS["muted"], info_x, verdict.centery - len(info) * small.get_linesize() // 2)
        y = verdict.bottom + 10

        # the protocol switch: the same session, judged by another procedure
        bw = int(36 * f.scale)
        lab = small.render("Scored against", True, COLOURS["muted"])
        row = pygame.Rect(m, y, W - 2 * m, bw)
        surface.blit(lab, (row.x, row.centery - lab.get_height() // 2))
        prev = pygame.Rect(row.x + lab.get_width() + 12, row.y, bw, bw)
        pf = f.get(15, bold=True)
        name = pf.render(fit(self.protocol.title, pf, row.right - prev.right - bw - 40), True, COLOURS["text"])
        surface.blit(name, (prev.right + 12, row.centery - name.get_height() // 2))
        nxt = pygame.Rect(prev.right + name.get_width() + 24, row.y, bw, bw)
        self.buttons[_PREV].rect, self.buttons[_NEXT].rect = prev, nxt
        # what the count counts: the protocols to compare, not the steps of this one
        count = fit(self.protocol_count(), small, row.right - nxt.right - 12)
        if count:
            img = small.render(count, True, COLOURS["muted"])
            surface.blit(img, (nxt.right + 12, row.centery - img.get_height() // 2))
        self.layout["protocol"] = (self.protocol.title, count)
        y = row.bottom + 12

        # bottom buttons
        bh = int(46 * f.scale)
        bx = m
        for key in (_RETRY, _OTHER, _QUIT):
            b = self.buttons[key]
            w = f.get(17).size(b.label)[0] + f.get(17, bold=True).size(b.hint)[0] + 70
            b.rect = pygame.Rect(bx, bottom - bh, w, bh)
            bx += w + 12
        body_bottom = bottom - bh - 14

        # steps beside the anger curve, as tall as the steps need; the feedback spans the width below
        # (it scrolls, so it gives way down to one line). Every step is shown: a long protocol
        # takes two or three columns and a wider panel (text_room keeps the text size where that fits).
        body_h = body_bottom - y
        feedback_min = f.get(16, bold=True).get_linesize() + f.get(14).get_linesize() + 28
        room = max(int(body_h * 0.5), body_h - 12 - feedback_min)
        for cols, share in _STEP_LAYOUTS:
            steps_w = max(260, int((W - 3 * m) * share)) if share < 1 else W - 2 * m
            need = self._steps_height(steps_w, cols)
            if need <= room:
                break
        top_h = min(max(need, int(200 * f.scale)), room)
        steps = pygame.Rect(m, y, steps_w, top_h)
        self._draw_steps(surface, steps, cols)
        if share < 1:  # with a huge text in a small window the steps come before the curve
            self._draw_curve(surface, pygame.Rect(steps.right + m, y, W - steps.right - 2 * m, top_h))
        self._draw_feedback(surface, pygame.Rect(m, steps.bottom + 12, W - 2 * m, body_bottom - steps.bottom - 12))
        self.draw_buttons(surface, 17)
        self.draw_status(surface, "◀ ▶ switch protocol · PgDn more feedback · Tab move · Enter select · R retry · A another · Q quit")

    def protocol_count(self) -> str:
        n = len(self.protocols)
        if n == 1:
            return "the only protocol to compare against"
        return f"protocol {self.index + 1} of {n} to compare (◀ ▶ switch)"

    def _why_line(self) -> str:
        r = self.result
        if r.passed:
            return "Every critical step done, in a good order, and the pass mark reached."
        return "Not passed: " + ", ".join(fail_reasons(r)) + "."

    def _step_columns(self, width: int, cols: int) -> list[list[tuple]]:
        """The steps in protocol order, down `cols` columns of `width` pixels in all: each row is
        (step, its 'turn N' / 'missed' label, its wrapped title, its height). In a narrow column the
        label goes under the title instead of beside it (its last line is then the label)."""
        font = self.app.fonts.get(14)
        col_w = (width - 16 * (cols - 1)) // cols
        rows = []
        for s in self.result.steps:
            when = step_label(s)
            title, room = s.title + (" *" if s.critical else ""), col_w - 60 - font.size(when)[0] - 12
            lines = wrap(title, font, room)
            if len(lines) > 1 and room < (col_w - 56) * 0.6:  # the label would squeeze the title: under it
                lines = wrap(title, font, col_w - 56) + [None]
            rows.append((s, when, lines, len(lines) * font.get_linesize() + 6))
        per = -(-len(rows) // cols) if rows else 0
        return [rows[i:i + per] for i in range(0, len(rows), per)] if per else [[]]

    def _steps_height(self, width: int, cols: int = 1) -> int:
        head = 12 + self.app.fonts.get(16, bold=True).get_linesize() + 4
        tallest = max(sum(r[3] for r in column) for column in self._step_columns(width, cols))
        return head + tallest + 8

    def _draw_steps(self, surface, rect: pygame.Rect, cols: int = 1) -> None:
        f = self.app.fonts
        panel(surface, rect)
        top = draw_lines(surface, ["Protocol steps"], f.get(16, bold=True), COLOURS["text"], rect.x + 16, rect.y + 12) + 4
        font = f.get(14)
        note = font.render("* critical step", True, COLOURS["muted"])
        if rect.x + 32 + f.get(16, bold=True).size("Protocol steps")[0] + note.get_width() <= rect.right - 16:
            surface.blit(note, (rect.right - 16 - note.get_width(), rect.y + 14))
        mark_font = f.get(15, bold=True)
        columns = self._step_columns(rect.w, cols)
        col_w = (rect.w - 16 * (cols - 1)) // cols
        shown = 0
        for c, column in enumerate(columns):
            x, y = rect.x + c * (col_w + 16), top
            for s, when, lines, h in column:
                if y + h > rect.bottom - 8:  # only when even three columns cannot hold them
                    surface.blit(font.render("…", True, COLOURS["muted"]), (x + 16, y))
                    break
                colour = COLOURS["good"] if s.performed else (COLOURS["muted"] if not s.applicable else COLOURS["bad"])
                surface.blit(mark_font.render("✓" if s.performed else ("–" if not s.applicable else "✗"), True, colour), (x + 16, y))
                when_img = font.render(when, True, COLOURS["muted"] if s.performed or not s.applicable else COLOURS["bad"])
                if lines[-1] is None:
                    draw_lines(surface, lines[:-1], font, COLOURS["text"], x + 40, y)
                    surface.blit(when_img, (x + 40, y + (len(lines) - 1) * font.get_linesize()))
                else:
                    draw_lines(surface, lines, font, COLOURS["text"], x + 40, y)
                    surface.blit(when_img, (x + col_w - 16 - when_img.get_width(), y))
                y += h
                shown += 1
        self.layout["steps"] = (shown, len(self.result.steps), cols)

    def _draw_curve(self, surface, rect: pygame.Rect) -> None:
        """Anger after each turn, from the session's own record, over the band zones."""
        f = self.app.fonts
        panel(surface, rect)
        draw_lines(surface, ["Anger over the conversation"], f.get(16, bold=True), COLOURS["text"], rect.x + 16, rect.y + 10)
        small = f.get(12)
        plot = pygame.Rect(rect.x + 70, rect.y + 40, rect.w - 90, rect.h - 70)
        if plot.w < 20 or plot.h < 20:
            return
        bands = list(Band)
        for i, b in enumerate(bands):
            lo = BAND_FLOORS[b]
            hi = BAND_FLOORS[bands[i + 1]] if i + 1 < len(bands) else 100.0
            y0 = plot.bottom - int(plot.h * hi / 100)
            zone = pygame.Rect(plot.x, y0, plot.w, plot.bottom - int(plot.h * lo / 100) - y0)
            pygame.draw.rect(surface, blend(COLOURS["panel"], BAND_COLOURS[b], 0.18), zone)
            word = small.render(BAND_WORDS[b].lower(), True, COLOURS["muted"])
            if zone.h >= word.get_height():  # no labels on a squashed chart: the colours still read
                surface.blit(word, (plot.x - word.get_width() - 8, zone.centery - word.get_height() // 2))
        trace = self.recorder.state.anger_trace
        n = max(1, len(trace) - 1)
        pts = [(plot.x + int(plot.w * i / n), plot.bottom - int(plot.h * a / 100)) for i, a in enumerate(trace)]
        if len(pts) > 1:
            pygame.draw.lines(surface, COLOURS["text"], False, pts, 3)
        interrupted = {t.index for t in self.recorder.state.turns if t.interrupted}
        for i, (p, a) in enumerate(zip(pts, trace)):
            colour = BAND_COLOURS[band_of(a)]
            if i in interrupted:  # a square marks a turn that cut the customer off
                pygame.draw.rect(surface, colour, pygame.Rect(p[0] - 6, p[1] - 6, 12, 12))
                pygame.draw.rect(surface, COLOURS["bg"], pygame.Rect(p[0] - 6, p[1] - 6, 12, 12), 2)
            else:
                pygame.draw.circle(surface, colour, p, 6)
                pygame.draw.circle(surface, COLOURS["bg"], p, 6, 2)
        step = max(1, n // 10)
        for i in range(0, len(trace), step):
            lab = small.render("start" if i == 0 else str(i), True, COLOURS["muted"])
            surface.blit(lab, lab.get_rect(midtop=(pts[i][0], plot.bottom + 6)))
        if interrupted:
            key = small.render("■ interrupted", True, COLOURS["muted"])
            surface.blit(key, (rect.right - key.get_width() - 12, rect.y + 14))

    def _draw_feedback(self, surface, rect: pygame.Rect) -> None:
        f = self.app.fonts
        if rect.h < 40:
            return
        panel(surface, rect)
        y = draw_lines(surface, ["What to work on"], f.get(16, bold=True), COLOURS["text"], rect.x + 16, rect.y + 10) + 4
        font = f.get(14)
        items = list(self.result.feedback)[self.first_feedback:]
        if self.first_feedback:
            earlier = font.render(f"↑ {self.first_feedback} earlier (Page Up)", True, COLOURS["muted"])
            surface.blit(earlier, (rect.right - earlier.get_width() - 16, rect.y + 12))
        if not items:
            draw_lines(surface, ["Nothing to correct against this protocol. Well done."], font, COLOURS["good"], rect.x + 16, y)
            return
        for i, fb in enumerate(items):
            lines = wrap("• " + fb.message, font, rect.w - 32)
            need = len(lines) * font.get_linesize() + 4
            if y + need > rect.bottom - 8 - font.get_linesize():
                room = (rect.bottom - 8 - y) // font.get_linesize() - 1
                if i == 0 and room > 0:  # always show the start of the first point
                    y = draw_lines(surface, clip_lines(lines, font, rect.w - 32, room), font, COLOURS["text"], rect.x + 16, y)
                    i += 1
                rest = len(items) - i
                if rest:
                    more = fit(f"…and {rest} more (Page Down or the mouse wheel to scroll)", font, rect.w - 32)
                    draw_lines(surface, [more], font, COLOURS["muted"], rect.x + 16, y)
                break
            y = draw_lines(surface, lines, font, COLOURS["text"], rect.x + 16, y) + 4
