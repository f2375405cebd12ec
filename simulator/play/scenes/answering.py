"""Answers in the trainee's own words in the role-play window: typed into a line, or spoken.

`Answering` belongs to one `RolePlay`. Typing a letter opens the line (number keys still
pick options while it is closed); Enter matches the words to the options (`answers`),
Esc closes it. Spoken answers arrive from the app's `Listener`: the start of speech is
remembered (it decides whether the trainee cut in), a recognised option is highlighted
and taken as if clicked, a close call highlights both and asks which, and anything else
asks the trainee to say it again or use the keys.
"""
from __future__ import annotations

from ..answers import Verdict, match_answer

__all__ = ["Answering"]


class Answering:
    def __init__(self, scene):
        self.scene = scene
        self.draft = ""  # the line being typed
        self.note = ""  # one line of feedback under "Your answer"
        self.words: str | None = None  # the trainee's own words behind a close call, kept for the turn
        self.close: tuple[str, ...] = ()
        self.onset: float | None = None  # when the trainee began speaking this turn (app clock)
        self.spoken = False  # the words behind the pending answer were spoken, not typed
        self.offer = 0

    # -- a new set of options on screen

    def reset(self, options) -> None:
        self.draft, self.note, self.words, self.close, self.onset, self.spoken = "", "", None, (), None, False
        listener = self.scene.app.listener
        if listener is not None and not listener.finished:
            self.offer = listener.offer([(o.id, o.text) for o in options])

    def words_for(self, option_id: str) -> str | None:
        return self.words if option_id in self.close else None

    def spoke_at(self, option_id: str) -> float | None:
        """When the trainee began saying this answer (None if it was not spoken)."""
        return self.onset if self.spoken and option_id in self.close else None

    # -- typing

    def start(self, text: str) -> None:
        self.scene.typing = True
        self.draft = text
        self.note = ""

    def type(self, text: str) -> None:
        self.draft = self.draft[:-1] if text == "\b" else (self.draft + text)[:300]

    def stop(self) -> None:
        self.scene.typing = False
        self.draft = ""

    def submit(self) -> None:
        text = self.draft.strip()
        self.stop()
        if text:
            m = match_answer(text, [(o.id, o.text) for o in self.scene.conversation.options])
            self.spoken = False
            self._settle(text, m.verdict, m.option, m.candidates)

    def _settle(self, words: str, verdict: Verdict, option: str | None, candidates: tuple[str, ...]) -> None:
        scene = self.scene
        numbers = {o.id: i for i, o in enumerate(scene.conversation.options, start=1)}
        if verdict is Verdict.CHOSEN and option in numbers:
            self.words, self.close = words, (option,)
            for b in scene.focus.buttons:
                b.chosen = b.value == option
            scene.choose(option)
        elif verdict is Verdict.CLOSE:
            self.words, self.close = words, tuple(c for c in candidates if c in numbers)
            for b in scene.focus.buttons:
                b.chosen = b.value in self.close
            pair = " or ".join(str(numbers[c]) for c in self.close)
            self.note = f"\u201c{words}\u201d could be either {pair}: press (or say) the number you mean."
        else:
            self.note = f"\u201c{words}\u201d is not close to any answer: put it another way, or press a number."

    # -- listening

    def hear(self) -> None:
        """Take what the listener has heard since the last frame."""
        from ..listening.listener import Heard, Onset  # pocketsphinx: loaded only once spoken answers are on

        app = self.scene.app
        if app.listener is None or not app.voice_on:
            return
        for e in app.listener.poll():
            if getattr(e, "offer", None) != self.offer or self.scene.conversation.finished:
                continue
            if isinstance(e, Onset):
                if self.onset is None:
                    self.onset = app.clock_from(e.at)
            elif isinstance(e, Heard):
                r = e.result
                if r.verdict is Verdict.NONE:
                    self.note = "Sorry, I did not catch that: say it again, or use the keys."
                    continue
                self.spoken = True
                self._settle(r.words, r.verdict, r.option, r.candidates)
                if r.verdict is Verdict.CHOSEN:
                    return  # the next line is up: what follows belongs to it
