"""The conversation: the customer's portrait and anger, captions in step with the voice,
the trainee's options, and the last few exchanges. Two questions can cover the options: Esc's
"Leave this conversation?", and, when the session store fails mid-session, whether to go on
without saving."""
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

__all__ = ["RolePlay", "TRANSCRIPT_LINES"]

TRANSCRIPT_LINES = 4  # the conversation so far always has room for this many lines
_HOLD = 1.5  # seconds a line may wait for its voice before the captions run on without it
_DEBRIEF = object()
_STAY, _SO_FAR, _LEAVE = "stay", "so far", "leave"  # the answers to "Leave this conversation?"
_GO_ON, _STOP = "go on", "stop"  # the answers to "The session store failed: go on without saving?"


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
        # while a question is up (Esc's, or the store's): the options and the focus it covers, given back after
        self.leaving: tuple[list[Button], int] | None = None
        self.question: str | None = None  # which: _LEAVE or _STOP
        self.layout: dict = {}  # what the last draw put where (header, transcript lines, options)
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
        if self.conversation.fault is not None:
            self.ask_store()

    @property
    def option_buttons(self) -> list[Button]:
        """The answers on screen (under the question while Esc's question is up)."""
        return self.leaving[0] if self.leaving is not None else self.focus.buttons

    # -- Esc: leave the conversation, asked first

    def ask_leave(self) -> None:
        """Esc mid-conversation: nothing ends until the trainee says how to leave (or to stay)."""
        self._ask(_LEAVE, [
            Button("Keep going", _STAY, hint="Esc"),
            Button("See the debrief of the conversation so far", _SO_FAR, hint="D"),
            Button("Leave for the list of scenarios", _LEAVE, hint="L"),
        ])

    def ask_store(self) -> None:
        """The store failed saving the turn just taken: go on without saving, or stop here (the default, as the terminal's y/N)."""
        self._ask(_STOP, [Button("Go on without saving", _GO_ON, hint="Y"), Button("Stop here (close Defuse)", _STOP, hint="N")])
        self.focus.index = 1

    def _ask(self, question: str, buttons: list[Button]) -> None:
        if self.typing:
            self.answering.stop()
        if self.leaving is None:
            self.leaving = (self.focus.buttons, self.focus.index)
        self.question = question
        self.focus.set(buttons, keep=False)

    def _stay(self) -> None:
        buttons, index = self.leaving
        self.leaving = self.question = None
        self.focus.set(buttons)
        self.focus.index = index

    def _handle_leaving(self, action) -> None:
        if isinstance(action, Back):
            if self.question == _LEAVE:  # the store's question is answered, never dismissed
                self._stay()
        elif isinstance(action, (Pick, Typed)):
            return
        elif isinstance(action, Move):
            self.focus.move(action.step)
        else:
            super().handle(action)

    _KEYS = {_LEAVE: {pygame.K_d: 1, pygame.K_l: 2}, _STOP: {pygame.K_y: 0, pygame.K_n: 1}}

    def handle_event(self, event) -> None:
        if self.leaving is not None:
            keys = self._KEYS[self.question]
            if event.type == pygame.KEYDOWN and not event.mod & pygame.KMOD_CTRL and event.key in keys:
                self.activate(self.focus.buttons[keys[event.key]])
            elif event.type != pygame.TEXTINPUT:
                super().handle_event(event)
            return
        if event.type == pygame.KEYDOWN and event.key == pygame.K_F2:
            self.app.toggle_voice()
        elif event.type == pygame.TEXTINPUT and not self.typing and event.text.isalpha() and not self.conversation.finished:
            self.answering.start(event.text)  # a letter opens the answer line; numbers still pick
        else:
            super().handle_event(event)

    def handle(self, action) -> None:
        if self.leaving is not None:
            self._handle_leaving(action)
            return
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
            if self.conversation.finished:  # nothing is lost: the session is complete
                self.app.leave_session()
            else:
                self.ask_leave()
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
        elif self.leaving is not None:
            if button.value == _STAY:
                self._stay()
            elif button.value == _SO_FAR:
                self.app.debrief(self.recorder)  # scored as it stands; the store keeps it unfinished
            elif button.value == _LEAVE:
                self.app.leave_session()
            elif button.value == _GO_ON:
                self.conversation.go_on_unsaved()  # nothing further is written
                self._stay()
                self._rebuild()  # the session may have ended on the turn the store failed at
            elif button.value == _STOP:
                self.app.store_failed(self.conversation.fault.line)
        else:
            self.choose(button.value)

    # -- time

    @property
    def animating(self) -> bool:
        """The caption running, the mouth moving, the meter easing. Not the voice being prepared:
        its progress line redraws when it changes (the loop compares the notices), and a line
        held for its voice shows nothing moving until the voice (or the hold's end) comes."""
        return self.talking or not self.conversation.gauge.settled

    @property
    def talking(self) -> bool:
        """The customer audibly talking: finishing the last line, or saying this one (not held for its voice)."""
        conv, now = self.conversation, self.app.now
        return conv.finishing(now) or (self.waiting_for is None and conv.speaking(now))

    @property
    def wake_ms(self) -> int:
        """How often the loop looks in while nothing moves: often while a line waits for its voice."""
        return 50 if self.waiting_for is not None else 250

    def update(self, dt: float) -> None:
        self.conversation.update(dt)
        self.talk_phase += dt
        if self.app.speaker is not None:
            self._wait_for_voice(self.app.speaker.poll())
        if self.leaving is None:  # a spoken answer waits until the question is answered
            self.answering.hear()

    # -- drawing

    def draw(self, surface) -> None:
        super().draw(surface)
        W, H = surface.get_size()
        f = self.app.fonts
        conv = self.conversation
        sc = self.recorder.scenario
        m = 20
        top = self._draw_header(surface, m)
        bottom = H - self.status_height() - 12

        left_w = max(220, min(440, int(W * 0.3)))
        left = pygame.Rect(m, top, left_w, bottom - top)
        right = pygame.Rect(left.right + m, top, W - left.right - 2 * m, bottom - top)
        self._draw_customer(surface, left)
        self._draw_talk(surface, right)
        self.draw_status(surface, "1-9 answer · type to answer in your words · F2 voice · Esc leave · Ctrl +/- text, 0 reset")
        if self.question == _LEAVE:
            self._draw_leave(surface)
        elif self.question == _STOP:
            self._draw_store_fault(surface)

    def _draw_header(self, surface, m: int) -> int:
        """The title, and who is scored on what at which turn: beside it, or under it when the text is large."""
        W = surface.get_width()
        f, conv = self.app.fonts, self.conversation
        title_font, meta_font = f.get(22, bold=True), f.get(14)
        meta_text = f"Trainee {self.recorder.trainee} · scored on {self.recorder.protocol.title} · turn {len(conv.state.turns) + 1}"
        title = fit(self.recorder.scenario.title, title_font, W - 2 * m)
        head = title_font.render(title, True, COLOURS["text"])
        surface.blit(head, (m, m))
        if meta_font.size(meta_text)[0] <= W - 3 * m - head.get_width():
            meta_text, at = meta_text, (None, m + 6)
        else:
            meta_text, at = fit(meta_text, meta_font, W - 2 * m), (m, m + head.get_height() + 2)
        meta = meta_font.render(meta_text, True, COLOURS["muted"])
        surface.blit(meta, (W - m - meta.get_width() if at[0] is None else at[0], at[1]))
        self.layout["header"] = (title, meta_text)
        return max(m + head.get_height(), at[1] + meta.get_height()) + 12

    def _draw_leave(self, surface) -> None:
        turns = len(self.conversation.state.turns)
        saved = ("Your turn so far is saved" if turns == 1 else f"Your {turns} turns so far are saved") if turns else "Nothing has been said yet"
        kept = self.recorder.unsaved_after
        if kept is not None:  # the store failed and the trainee went on without it
            saved = "None of your turns is saved" if not kept else ("Only your first turn is saved" if kept == 1 else f"Only your first {kept} turns are saved")
        self._draw_question(surface, "Leave this conversation?", f"{saved}, marked unfinished (an instructor sees it as an unfinished session).")

    def _draw_store_fault(self, surface) -> None:
        line = self.conversation.fault.line
        self._draw_question(
            surface, "The session store failed",
            f"{line[0].upper()}{line[1:]}. Go on without saving (nothing more of this session is written), or stop here?",
        )

    def _draw_question(self, surface, title: str, text: str) -> None:
        W, H = surface.get_size()
        f = self.app.fonts
        shade = pygame.Surface((W, H), pygame.SRCALPHA)
        shade.fill((0, 0, 0, 170))
        surface.blit(shade, (0, 0))
        box_w = min(640, W - 40)
        note = wrap(text, f.get(14), box_w - 48)
        self.layout["question"] = (title, note)
        size = 17
        heights = [b.height_for(f, box_w - 48, size) for b in self.focus.buttons]
        box_h = 20 + f.get(22, bold=True).get_linesize() + len(note) * f.get(14).get_linesize() + 16 + sum(h + 10 for h in heights) + 10
        box = pygame.Rect(0, 0, box_w, min(box_h, H - 20))
        box.center = (W // 2, H // 2)
        panel(surface, box, COLOURS["panel_hi"])
        y = draw_lines(surface, [title], f.get(22, bold=True), COLOURS["text"], box.x + 24, box.y + 20)
        y = draw_lines(surface, note, f.get(14), COLOURS["muted"], box.x + 24, y) + 16
        for b, h in zip(self.focus.buttons, heights):
            b.rect = pygame.Rect(box.x + 24, y, box_w - 48, h)
            y += h + 10
        self.draw_buttons(surface, size)

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
        small, label, name_font = f.get(13), f.get(14, bold=True), f.get(18, bold=True)
        meter_h = int(66 * f.scale)
        # the transcript keeps room for several lines; the portrait and the description give way
        floor = 6 + label.get_linesize() + TRANSCRIPT_LINES * (small.get_linesize() + 2) + 10
        fixed = 12 + 8 + name_font.get_linesize() + 6 + meter_h + 12 + floor
        desc_room = 2 if rect.h - fixed - 2 * small.get_linesize() >= 80 else 0
        pr_h = min(rect.w - 24, int(rect.h * 0.46), rect.h - fixed - desc_room * small.get_linesize())
        y = rect.y + 12
        if pr_h >= 60:  # smaller than that, a face says nothing the meter does not
            pr = pygame.Rect(rect.x + 12, y, rect.w - 24, pr_h)
            talk = 0.5 + 0.5 * math.sin(self.talk_phase * 17.0) if self.talking else 0.0
            draw_portrait(surface, pr, conv.gauge.shown, self.look, talk)
            y = pr.bottom + 8
        y = draw_lines(surface, [fit(persona.name, name_font, rect.w - 32)], name_font, COLOURS["text"], rect.x + 16, y)
        if persona.description and desc_room:
            desc = clip_lines(wrap(persona.description, small, rect.w - 32), small, rect.w - 32, desc_room)
            y = draw_lines(surface, desc, small, COLOURS["muted"], rect.x + 16, y)
        meter = pygame.Rect(rect.x + 16, y + 6, rect.w - 32, meter_h)
        draw_meter(surface, meter, conv.gauge.shown, f)
        y = meter.bottom + 12
        y += draw_distress(surface, pygame.Rect(rect.x + 16, y, rect.w - 32, 40), conv.state.distress, f)
        # the conversation so far, newest last, as much as fits
        y = draw_lines(surface, ["Conversation so far"], label, COLOURS["muted"], rect.x + 16, y)
        blocks = self.transcript(rect.w - 32)
        room = rect.bottom - 10 - y
        shown = []
        for lines, colour, narrated in reversed(blocks):
            need = len(lines) * small.get_linesize() + 4
            if need > room:
                keep = (room - 4) // small.get_linesize()
                if keep > 0 and not shown:  # too little room for a whole entry: its start
                    shown.append((clip_lines(lines, small, rect.w - 32, keep), colour, narrated))
                elif keep > 0:  # an older entry: its end, so the lines run on into the newer ones
                    shown.append((["…" + lines[-keep].lstrip()] + lines[len(lines) - keep + 1:], colour, narrated))
                break
            shown.append((lines, colour, narrated))
            room -= need
        if not blocks:
            draw_lines(surface, ["(nothing yet)"], small, COLOURS["muted"], rect.x + 16, y + 2)
        for lines, colour, narrated in reversed(shown):
            font = f.get(13, italic=True) if narrated else small
            y = draw_lines(surface, lines, font, colour, rect.x + 16, y + 2) + 2
        self.layout["transcript"] = [line for lines, _, _ in reversed(shown) for line in lines]

    def transcript(self, width: int) -> list[tuple[list[str], tuple, bool]]:
        """The exchanges so far as (wrapped lines, colour, narrated): the speaker's name before what
        they said; narration as it is, in its own colour and slanted, with nobody's name."""
        small = self.app.fonts.get(13)
        first = self.recorder.scenario.persona.name.split()[0]
        out = []
        for ex in self.conversation.history:
            if ex.speaker == "narration":
                out.append((wrap(ex.text, self.app.fonts.get(13, italic=True), width), COLOURS["narration"], True))
                continue
            who = "You" if ex.speaker == "trainee" else first
            text = f"{who}: {ex.text}" + ("  [interrupted]" if ex.interrupted else "")
            out.append((wrap(text, small, width), COLOURS["trainee"] if ex.speaker == "trainee" else COLOURS["customer"], False))
        return out

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
            need += sum(b.height_for(f, rect.w, opt_size) + 10 for b in self.option_buttons)
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
        if self.talking:  # a small level meter that moves while the voice runs
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
        for b in self.option_buttons:
            h = b.height_for(f, rect.w, opt_size)
            b.rect = pygame.Rect(rect.x, y, rect.w, h)
            y += h + 10
        if self.leaving is None:
            self.draw_buttons(surface, opt_size)
        else:  # under the question, as they were: nothing has focus or hover there
            for b in self.option_buttons:
                b.draw(surface, f, False, opt_size)
        self.layout["options"] = [b.rect.copy() for b in self.option_buttons]
        self.layout["option_size"] = opt_size
