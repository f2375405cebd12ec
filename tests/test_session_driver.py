"""One session driver: the window and the terminal, given the same choices at the same
moments, store the same session (choices, interruptions, anger, score).

The window runs its real event loop (dummy SDL drivers from conftest) on a fake clock, its
number keys posted to pygame's event queue the moment they are due; the terminal runs its
real game on a fake clock, its answers typed through the console's input hook. Neither
waits in real time. Each choice is timed from the start of the customer's line, as a
trainee would time it: a number of seconds in, or "end" (a moment after the line).
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import pygame
import pytest

from simulator.cli import build_parser
from simulator.library import Library
from simulator.play import window
from simulator.play.conversation import Delivery
from simulator.play.speech import voice_for
from simulator.play.terminal import TextGame
from simulator.play.text_console import Console
from simulator.play.text_view import Style
from simulator.store import Store

SCENARIO = "billing_double_charge"
AFTER = 0.25  # "end": this long after the line is over


def due(conv, at) -> float:
    """When a scripted answer is given, on the conversation's clock. "between": after the
    line at the customer's pace now, but before its end at her calm pace (cutting in under
    the terminal's old rule, which always used the calm pace)."""
    if at == "end":
        return conv.started_at + conv.duration + AFTER
    if at == "between":
        calm = Delivery.spoken(conv.node.line.text, conv.recorder.scenario.persona.voice.rate).length
        return conv.started_at + (conv.duration + calm) / 2
    return conv.started_at + at


@pytest.fixture(scope="module")
def script() -> list[tuple[str, object]]:
    return [
        ("quick_see", 0.8),  # "I see" over her vent: cutting in (a tape recorder starts again)
        ("breathe_listen", 1.0),  # keeping quiet a second in: she finishes the line first
        ("keep_listening", 0.6),  # quiet again, early in her next line
        ("paraphrase", "between"),  # after her line at her angry pace
        ("apologize", 0.5),  # an apology over her line: cutting in
        ("ask_cause", "end"),
        ("found_it", "end"),
        ("confirm", "end"),
        ("process", "end"),
        ("follow_up", "end"),
        ("log_it", "end"),
        ("think_back", "end"),
    ]


# ---------------------------------------------------------------- the window, on a fake clock


class WindowClock:
    """Stands in for the `time` module in play/window.py. Each time the loop reads the
    clock during a conversation, the next scripted answer is moved to when it is due and its
    number key posted, so the loop handles it at exactly that moment."""

    def __init__(self, script):
        self.now = 1000.0
        self.script = script
        self.app = None
        self.reads = 0
        self.posted: set[int] = set()
        self.quit = False

    def monotonic(self) -> float:
        app = self.app
        if app is not None:
            self.reads += 1
            if self.reads > 1:  # the first read in the loop sets its zero
                self._step(app)
        return self.now

    def _step(self, app) -> None:
        conv = getattr(app.scene, "conversation", None)
        if conv is None or self.quit:
            return
        k = len(conv.state.turns)
        if conv.finished or k >= len(self.script):
            pygame.event.post(pygame.event.Event(pygame.QUIT))
            self.quit = True
        elif k not in self.posted:
            option, at = self.script[k]
            self.now = max(self.now, app.t0 + due(conv, at))
            number = [o.id for o in conv.options].index(option) + 1
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_0 + number, mod=0, unicode=str(number), scancode=0))
            self.posted.add(k)


def play_in_the_window(monkeypatch, tmp_path, script):
    clock = WindowClock(script)
    monkeypatch.setattr(window, "time", clock)
    loop = window._loop

    def watched_loop(pg, app, surface):
        clock.app = app
        return loop(pg, app, surface)

    monkeypatch.setattr(window, "_loop", watched_loop)
    db = tmp_path / "window.sqlite3"
    args = build_parser().parse_args(["play", SCENARIO, "--no-speech", "--seed", "0", "--trainee", "Tess", "--db", str(db)])
    with Store(db) as store:  # `defuse play` hands the window the library and the store
        assert window.run(args, Library(), store) == 0
        (session,) = list(store.find())
    return session


# ---------------------------------------------------------------- the terminal, on a fake clock


@dataclass
class TerminalClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


class ScriptedKeys:
    """The console's input: each scripted answer typed when it is due, then q."""

    echoes = False
    also = None

    def __init__(self, clock: TerminalClock, script):
        self.clock = clock
        self.script = script
        self.game = None
        self.k = 0

    def quiet(self):
        return contextlib.nullcontext()

    def pending(self) -> str:
        return ""

    def poll(self, timeout):
        conv = self.game.conversation
        if self.k >= len(self.script) or conv is None or conv.finished:
            if timeout is None:
                return "q"
            self.clock.now += timeout
            return None
        option, at = self.script[self.k]
        when = due(conv, at)
        if timeout is not None and when > self.clock.now + timeout:
            self.clock.now += timeout
            return None
        self.clock.now = max(self.clock.now, when)
        self.k += 1
        return str([o.id for o in conv.options].index(option) + 1)

    def readline(self) -> str:
        return self.poll(None)


def play_in_the_terminal(tmp_path, script, monkeypatch):
    monkeypatch.delenv("DEFUSE_TEXT_WPM", raising=False)
    clock = TerminalClock()
    keys = ScriptedKeys(clock, script)
    out = io.StringIO()
    library = Library()
    db = tmp_path / "terminal.sqlite3"
    with Store(db) as store:
        game = TextGame(Console(keys, out, Style(), clock=clock, sleep=clock.sleep), library, store, trainee="Tess", seed=0)
        keys.game = game
        assert game.main(library.get(SCENARIO).scenario) == 0
    with Store(db) as store:
        (session,) = list(store.find())
    return session, out.getvalue()


# ---------------------------------------------------------------- the same session


def summary(session):
    return {
        "turns": [(t.choice, t.interrupted, t.restarted_vent, t.actions, round(t.anger_before, 6), round(t.anger_after, 6)) for t in session.turns],
        "outcome": session.outcome,
        "complete": session.complete,
        "anger": (session.anger_start, session.anger_end),
        "score": (session.total, session.passed),
    }


@pytest.mark.window
def test_the_window_and_the_terminal_store_the_same_session_for_the_same_choices_and_timings(monkeypatch, tmp_path, script):
    in_window = play_in_the_window(monkeypatch, tmp_path, script)
    in_terminal, shown = play_in_the_terminal(tmp_path, script, monkeypatch)
    assert (in_window.mode, in_terminal.mode) == ("window", "text")
    assert summary(in_window) == summary(in_terminal)
    for w, t in zip(in_window.turns, in_terminal.turns):
        assert w.elapsed == pytest.approx(t.elapsed, abs=0.002)  # both timed from the start of the line
    # the script covers what the two front ends used to disagree on
    turns = in_window.turns
    assert [t.choice for t in turns] == [c for c, _ in script] and in_window.complete
    assert turns[0].interrupted and turns[0].restarted_vent
    assert not turns[1].interrupted and not turns[2].interrupted  # keeping quiet is never cutting in
    assert turns[2].elapsed == pytest.approx(0.6, abs=0.002)  # timed from her next line, begun once she finished
    sc = Library().get(SCENARIO).scenario
    text, voice = sc.node(turns[3].node).line.text, sc.persona.voice
    angry, calm = (Delivery.spoken(text, rate).length for rate in (voice_for(voice, turns[3].anger_before).rate, voice.rate))
    assert angry < turns[3].elapsed < calm and not turns[3].interrupted  # her pace is her anger's, in both
    assert turns[4].interrupted
    # the terminal printed the rest of the line she was left to finish
    assert "Dana Whitfield: ... " in shown and "straight out of my account." in shown.split("You: (Sit up", 1)[1]


class FakePlayback:
    """The mixer, recorded: what was started and when it was stopped (nothing is heard)."""

    def __init__(self):
        self.log = []

    def play(self, path):
        self.log.append(("play", path))
        return 2.0

    def stop(self):
        self.log.append(("stop",))

    def close(self):
        pass


class FakeSpeaker:
    """Every line already rendered: its WAV path is the line id."""

    available = True
    busy = False
    notice = None

    def request(self, job):
        return job.line_id

    def path_if_ready(self, job):
        return job.line_id

    def prefetch(self, jobs):
        pass

    def poll(self):
        return []

    def close(self):
        pass


@pytest.mark.window
def test_in_the_window_keeping_quiet_early_lets_her_voice_run_on_and_her_next_line_follows_it():
    pygame.init()
    try:
        pygame.display.set_mode(window.DEFAULT_SIZE)
        app = window.App(build_parser().parse_args(["play", "--no-speech", "--no-save", "--trainee", "Ana", "--seed", "0"]), Library(), None, autoplaying=True)
        try:
            app.playback, app.speaker = FakePlayback(), FakeSpeaker()
            app.play(app.library.get(SCENARIO))
            scene = app.scene
            conv = scene.conversation
            assert app.playback.log == [("play", "open.line")] and conv.duration == pytest.approx(2.0 + 0.35)
            app.now = 1.0
            scene.choose("breathe_listen")  # a second into her two-second line
            assert app.playback.log == [("play", "open.line")]  # not stopped, and the next line not started
            assert conv.started_at == pytest.approx(2.35) and conv.caption(1.5) != "" and conv.line_text(1.5).startswith("Finally")
            app.now = 2.0
            scene.update(1.0)
            assert len(app.playback.log) == 1  # still her first line
            app.now = 2.4
            scene.update(0.4)
            assert app.playback.log[1:] == [("play", "vent_2.line")]  # then her next line, timed by its WAV
            assert conv.started_at == pytest.approx(2.4) and conv.voiced
            app.now = 2.6
            scene.choose("calm_down")  # talking over her: her voice stops at once
            assert app.playback.log[2] == ("stop",)
        finally:
            app.close()
    finally:
        pygame.quit()
