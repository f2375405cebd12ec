"""The conversation: the customer's portrait and anger, captions in step with the voice,
the trainee's options, and the last few exchanges."""
from __future__ import annotations

import math

import pygame

from ...session import Recorder
from ..conversation import Conversation
from ..distress import draw_distress
from ..portrait import draw_portrait, look_for
from ..speech import wav_duration
from ..theme import COLOURS, clip_lines, fit, wrap
from ..widgets import Activate, Back, Button, Move, Pick, Typed, draw_lines, draw_meter, panel
from .answering import Answering
from .base import Scene

__all__ = ["RolePlay"]

_HOLD = 1.5  # seconds a line may wait for its voice before the captions run on without it
_DEBRIEF = object()


class RolePlay(Scene):
    def __init__(self, app, recorder: Recorder):
        super().__init__(app)
        self.recorder = recorder
        persona = recorder.scenario.persona
        self.look = look_for(persona.name, persona.voice.gender)
        self.conversation = Conversation(recorder, app.now)
        self.drawn_line: str | None = None  # the line id on screen after the last draw (what benchmarks check)
        self.waiting_for: str | None = None  # the speech key of the line waiting for its WAV
        self.shown_at = app.now
        self.talk_phase = 0.0
        self.answering = Answering(self)  # typed and spoken answers in the trainee's own words
        if app.speaker is not None:
            app.speaker.prefetch(self.conversation.speech_jobs())
        self._voice_line()
        self._rebuild()

    # -- the customer's voice

    def _voice_line(self) -> None:
        conv, app = self.conversation, self.app
        self.waiting_for = None
        self.shown_at = app.now
        if conv.silent or app.speaker is None or app.speaker.available is False:
            return
        job = conv.speech_job()
        path = app.speaker.request(job)
        if path is None or app.now < conv.started_at:  # not rendered yet, or she is finishing her last line
            self.waiting_for = job.key
            self.shown_at = max(app.now, conv.started_at)
            return
        length = app.playback.play(path) if app.playback is not None else None
        conv.begin_line(app.now, length if length is not None else wav_duration(path))

    def _wait_for_voice(self, keys: list[str]) -> None:
        """Hold the caption at its start while the line's WAV is being rendered, briefly."""
        if self.waiting_for is None or self.app.now < self.conversation.started_at:
            return
        if self.waiting_for in keys or self.app.speaker.path_if_ready(self.conversation.speech_job()) is not None:
            self._voice_line()
        elif self.app.now - self.shown_at < _HOLD and self.app.speaker.available is not False:
            self.conversation.started_at = self.app.now
        else:
            self.waiting_for = None  # too slow, or no engine: captions alone, at the persona's rate

    # -- choices

    def _rebuild(self) -> None:
        conv = self.conversation
        if conv.finished:
            buttons = [Button("See how you did", _DEBRIEF, hint="↵")]
        else:
            buttons = [Button(o.text, o.id, hint=str(i + 1) if i < 9 else "") for i, o in enumerate(conv.options)]
        self.focus.set(buttons, keep=False)
        self.answering.reset([] if conv.finished else conv.options)

    def choose(self, option_id: str) -> None:
        """Take the trainee's choice now; the next line is drawn on the very next frame."""
        ans = self.answering
        self.conversation.choose(option_id, self.app.now, words=ans.words_for(option_id), spoke_at=ans.spoke_at(option_id))
        if self.app.playback is not None and not self.conversation.finishing(self.app.now):
            self.app.playback.stop()  # cut off, or finished anyway; keeping quiet lets her voice run on
        self._voice_line()
        self._rebuild()

    def handle_event(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_F2:
            self.app.toggle_voice()
        elif event.type == pygame.TEXTINPUT and not self.typing and event.text.isalpha() and not self.conversation.finished:
            self.answering.start(event.text)  # a letter opens the answer line; numbers still pick
        else:
            super().handle_event(event)

    def handle(self, action) -> None:
        if self.typing:
            if isinstance(action, Typed):
                self.answering.type(action.text)
            elif isinstance(action, Activate):
                self.answering.submit()
            elif isinstance(action, Back):
                self.answering.stop()
            else:
                super().handle(action)
            return
        if isinstance(action, Back):
            self.app.leave_session()
        elif isinstance(action, Pick):
            if action.number <= len(self.focus.buttons):
                self.activate(self.focus.buttons[action.number - 1])
        elif isinstance(action, Move) and action.sideways:
            return
        else:
            super().handle(action)

    def activate(self, button: Button) -> None:
        if button.value is _DEBRIEF:
            self.app.debrief(self.recorder)
        else:
            self.choose(button.value)

    # -- time

    @property
    def animating(self) -> bool:
        sp = self.app.speaker
        return self.conversation.speaking(self.app.now) or not self.conversation.gauge.settled or bool(sp and sp.busy)

    def update(self, dt: float) -> None:
        self.conversation.update(dt)
        self.talk_phase += dt
        if self.app.speaker is not None:
            self._wait_for_voice(self.app.speaker.poll())
        self.answering.hear()

    # -- drawing

    def draw(self, surface) -> None:
        super().draw(surface)
        W, H = surface.get_size()
        f = self.app.fonts
        conv = self.conversation
        sc = self.recorder.scenario
        m = 20
        # header
        head = f.get(22, bold=True).render(sc.title, True, COLOURS["text"])
        surface.blit(head, (m, m))
        room = W - 3 * m - head.get_width()
        meta_text = f"Trainee {self.recorder.trainee} · scored on {self.recorder.protocol.title} · turn {len(conv.state.turns) + 1}"
        if f.get(14).size(meta_text)[0] > room:
            meta_text = f"turn {len(conv.state.turns) + 1}"
        meta = f.get(14).render(meta_text, True, COLOURS["muted"])
        surface.blit(meta, (W - m - meta.get_width(), m + 6))
        top = m + head.get_height() + 12
        bottom = H - self.status_height() - 12

        left_w = max(220, min(440, int(W * 0.3)))
        left = pygame.Rect(m, top, left_w, bottom - top)
        right = pygame.Rect(left.right + m, top, W - left.right - 2 * m, bottom - top)
        self._draw_customer(surface, left)
        self._draw_talk(surface, right)
        self.draw_status(surface, "1-9 answer · type to answer in your words · F2 voice · Esc leave · Ctrl +/- text")

    def _answer_line(self) -> str:
        """The line under "Your answer": what is being typed, or the last note about an answer."""
        ans = self.answering
        if self.typing:
            return f"In your words: {ans.draft}▏  (Enter answers · Esc cancels)"
        return ans.note

    def _draw_customer(self, surface, rect: pygame.Rect) -> None:
        f, conv = self.app.fonts, self.conversation
        persona = self.recorder.scenario.persona
        panel(surface, rect)
        pr = pygame.Rect(rect.x + 12, rect.y + 12, rect.w - 24, min(int((rect.w - 24) * 1.0), int(rect.h * 0.46)))
        speaking = conv.speaking(self.app.now)
        talk = 0.5 + 0.5 * math.sin(self.talk_phase * 17.0) if speaking else 0.0
        draw_portrait(surface, pr, conv.gauge.shown, self.look, talk)
        y = pr.bottom + 8
        y = draw_lines(surface, [persona.name], f.get(18, bold=True), COLOURS["text"], rect.x + 16, y)
        if persona.description:
            desc = clip_lines(wrap(persona.description, f.get(13), rect.w - 32), f.get(13), rect.w - 32, 2)
            y = draw_lines(surface, desc, f.get(13), COLOURS["muted"], rect.x + 16, y)
        meter = pygame.Rect(rect.x + 16, y + 6, rect.w - 32, int(66 * f.scale))
        draw_meter(surface, meter, conv.gauge.shown, f)
        y = meter.bottom + 12
        y += draw_distress(surface, pygame.Rect(rect.x + 16, y, rect.w - 32, 40), conv.state.distress, f)
        # the conversation so far, newest last, as much as fits
        label = f.get(14, bold=True)
        y = draw_lines(surface, ["Conversation so far"], label, COLOURS["muted"], rect.x + 16, y)
        small = f.get(13)
        blocks = []
        for ex in conv.history:
            who = {"customer": persona.name.split()[0], "trainee": "You", "narration": "—"}[ex.speaker]
            text = f"{who}: {ex.text}" + ("  [interrupted]" if ex.interrupted else "")
            colour = COLOURS["trainee"] if ex.speaker == "trainee" else COLOURS[ex.speaker]
            blocks.append((wrap(text, small, rect.w - 32), colour))
        room = rect.bottom - 10 - y
        shown = []
        for lines, colour in reversed(blocks):
            need = len(lines) * small.get_linesize() + 4
            if need > room:
                break
            shown.append((lines, colour))
            room -= need
        if not blocks:
            draw_lines(surface, ["(nothing yet)"], small, COLOURS["muted"], rect.x + 16, y + 2)
        elif not shown and room >= small.get_linesize():  # too little room for a whole entry: its start
            lines, colour = blocks[-1]
            shown.append((clip_lines(lines, small, rect.w - 32, room // small.get_linesize()), colour))
        for lines, colour in reversed(shown):
            y = draw_lines(surface, lines, small, colour, rect.x + 16, y + 2) + 2

    def _draw_talk(self, surface, rect: pygame.Rect) -> None:
        f, conv, now = self.app.fonts, self.conversation, self.app.now
        persona = self.recorder.scenario.persona
        first = persona.name.split()[0]
        speaking = conv.speaking(now)
        talks = "is typing" if self.recorder.scenario.setting.value == "chat" else "is speaking"
        # the caption panel and the options, at the largest text that fits the window
        for cap_size, opt_size in ((22, 17), (19, 15), (17, 13), (15, 12), (13, 11)):
            cap_font = f.get(cap_size)
            lines = wrap(conv.line_text(now), cap_font, rect.w - 40)
            cap_h = 56 + len(lines) * cap_font.get_linesize() + 16
            need = cap_h + 18 + f.get(16, bold=True).get_linesize() + 6
            need += f.get(15).get_linesize() + 6 if self._answer_line() else 0
            need += sum(b.height_for(f, rect.w, opt_size) + 10 for b in self.focus.buttons)
            if need <= rect.h:
                break
        cap = pygame.Rect(rect.x, rect.y, rect.w, cap_h)
        panel(surface, cap, COLOURS["panel"])
        if speaking:
            pygame.draw.rect(surface, COLOURS["accent"], cap, 2, border_radius=14)
        cue_font = f.get(15, bold=True)
        if conv.narration:
            cue, colour = "Narrator", COLOURS["narration"]
        elif conv.finished and speaking:
            cue, colour = f"{first} {talks}…", COLOURS["accent"]
        elif conv.finished:
            cue, colour = f"{first} — the conversation is over", COLOURS["muted"]
        elif speaking:
            cue, colour = f"{first} {talks}…  (answering now interrupts)", COLOURS["accent"]
        else:
            cue, colour = f"{first} has finished — your turn", COLOURS["good"]
        x = cap.x + 20
        if speaking:  # a small level meter that moves while the voice runs
            for i in range(5):
                h = 6 + 14 * abs(math.sin(self.talk_phase * (6 + i * 1.7) + i))
                pygame.draw.rect(surface, COLOURS["accent"], pygame.Rect(x + i * 7, cap.y + 32 - h, 4, h), border_radius=2)
            x += 44
        if speaking and cue_font.size(cue)[0] > cap.right - x - 16:
            cue = f"{first} {talks}…"
        surface.blit(cue_font.render(fit(cue, cue_font, cap.right - x - 16), True, colour), (x, cap.y + 14))
        said = wrap(conv.caption(now), cap_font, rect.w - 40)
        text_colour = COLOURS["narration"] if conv.narration else COLOURS["text"]
        draw_lines(surface, said, cap_font, text_colour, cap.x + 20, cap.y + 48)
        self.drawn_line = conv.line_id

        # the trainee's options
        y = cap.bottom + 18
        label = "Your answer" if not conv.finished else "Finished"
        y = draw_lines(surface, [label], f.get(16, bold=True), COLOURS["muted"], rect.x, y) + 6
        line = self._answer_line()
        if line:
            font = f.get(15)
            y = draw_lines(surface, [fit(line, font, rect.w)], font, COLOURS["focus"] if self.typing else COLOURS["text"], rect.x, y) + 6
        for b in self.focus.buttons:
            h = b.height_for(f, rect.w, opt_size)
            b.rect = pygame.Rect(rect.x, y, rect.w, h)
            y += h + 10
        self.draw_buttons(surface, opt_size)
