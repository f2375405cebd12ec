"""The window's rough edges, each driven through the real event loop and its event queue
(dummy SDL drivers from conftest): Esc asks before leaving, text sizes keep every part of
each screen, Ctrl+0 and a remembered size, every protocol step in the debrief, the mouse
highlight, narration without a speaker, the protocol counter's label."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pygame
import pytest

from simulator.cli import build_parser
from simulator.cli_common import library_from
from simulator.engine import presented, start
from simulator.library import Library
from simulator.play import commands, window
from simulator.play.scenes.roleplay import TRANSCRIPT_LINES
from simulator.store import Store

pytestmark = pytest.mark.window  # every test here opens the real window

BILLING = "billing_double_charge"


def key(k, mod=0, text=""):
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode=text, scancode=0)


def number(n):
    return key(getattr(pygame, f"K_{n}"), text=str(n))


class Driver:
    """Runs `window.run` and, after every frame it shows, hands the app to a script.

    The script is a generator function taking the app: each time it yields, it has looked
    at the screen and posted the events of its next move. When it yields without posting
    anything a no-op event wakes the loop for one more frame; `yield SECONDS` leaves the loop
    alone for that long (a timer wakes it afterwards); when it returns, the window is closed.
    `frames` counts the frames shown.
    """

    def __init__(self, monkeypatch, script):
        self.script = script
        self.app = None
        self.steps = None
        self.frames = 0
        self.asleep_until = 0.0
        real_app, real_flip = window.App, pygame.display.flip
        driver = self

        class Watched(real_app):
            def __init__(self, *a, **k):
                super().__init__(*a, **k)
                driver.app = self

        def flip():
            real_flip()
            driver.frames += 1
            driver.after_frame()

        monkeypatch.setattr(window, "App", Watched)
        monkeypatch.setattr(pygame.display, "flip", flip)

    def after_frame(self):
        if self.steps is None:
            self.steps = self.script(self.app)
        if self.steps is False or time.monotonic() < self.asleep_until:
            return  # the loop runs on its own: the frames it shows are its own choice
        before = pygame.event.peek()
        try:
            pause = next(self.steps)
        except StopIteration:
            self.steps = False
            pygame.event.post(pygame.event.Event(pygame.QUIT))
            return
        if pause:  # `yield SECONDS`: leave the loop alone that long, then wake it once
            self.asleep_until = time.monotonic() + pause
            pygame.time.set_timer(pygame.USEREVENT + 1, int(pause * 1000) + 1, loops=1)
        elif not before and not pygame.event.peek():
            pygame.event.post(pygame.event.Event(pygame.USEREVENT))

    def run(self, *argv):
        args = build_parser().parse_args(["play", *argv])
        status = commands._run(window.run, args, library_from(args))  # as `defuse play` opens the store
        assert self.steps is False, "the script did not run to its end"
        return status


def seed_showing(option_id, position):
    """A seed whose first turn shows `option_id` at this 1-based position."""
    sc = Library().get(BILLING).scenario
    return next(n for n in range(200) if [o.id for o in presented(sc, start(sc, n))][position - 1] == option_id)


def press_option(app, option_id):
    """Post the number key that picks this option now."""
    ids = [o.id for o in app.scene.conversation.options]
    pygame.event.post(number(ids.index(option_id) + 1))


def stored_sessions():
    with Store(os.environ["DEFUSE_DB"]) as store:
        return list(store.find())


# ---------------------------------------------------------------- Esc asks first


def test_esc_mid_conversation_asks_first_and_offers_the_debrief_so_far(monkeypatch):
    seen = {}

    def script(app):
        assert type(app.scene).__name__ == "RolePlay"
        pygame.event.post(number(2))  # "I see": the call goes on
        yield
        pygame.event.post(key(pygame.K_ESCAPE))
        yield
        scene = app.scene
        assert type(scene).__name__ == "RolePlay" and scene.leaving is not None  # asked, not left
        seen["question"] = [b.label for b in scene.focus.buttons]
        pygame.event.post(key(pygame.K_1, text="1"))  # a number key does not answer under the question
        yield
        assert len(scene.recorder.state.turns) == 1
        pygame.event.post(key(pygame.K_ESCAPE))  # Esc again: keep going
        yield
        assert app.scene is scene and scene.leaving is None
        assert [b.value for b in scene.focus.buttons] == [o.id for o in scene.conversation.options]
        pygame.event.post(key(pygame.K_ESCAPE))
        yield
        pygame.event.post(key(pygame.K_d, text="d"))  # the debrief of the session so far
        yield
        debrief = app.scene
        assert type(debrief).__name__ == "Debrief"
        seen["turns"] = len(debrief.recorder.state.turns)
        seen["total"] = debrief.result.total
        assert not debrief.recorder.finished

    driver = Driver(monkeypatch, script)
    assert driver.run(BILLING, "--no-speech", "--trainee", "Ana", "--seed", str(seed_showing("quick_see", 2))) == 0
    assert seen["question"] == ["Keep going", "See the debrief of the conversation so far", "Leave for the list of scenarios"]
    assert seen["turns"] == 1
    [session] = stored_sessions()
    assert not session.complete and [t.choice for t in session.turns] == ["quick_see"]


def test_leaving_from_the_question_goes_to_the_picker_and_keeps_the_turns(monkeypatch):
    def script(app):
        pygame.event.post(number(2))
        yield
        pygame.event.post(key(pygame.K_ESCAPE))
        yield
        pygame.event.post(key(pygame.K_DOWN))
        pygame.event.post(key(pygame.K_DOWN))  # Tab and arrows move within the question
        pygame.event.post(key(pygame.K_RETURN))
        yield
        assert type(app.scene).__name__ == "Picker"

    Driver(monkeypatch, script).run(BILLING, "--no-speech", "--trainee", "Ana", "--seed", str(seed_showing("quick_see", 2)))
    [session] = stored_sessions()
    assert not session.complete and len(session.turns) == 1


# ---------------------------------------------------------------- text sizes


def _session_with_history(app, choices=("breathe_listen", "keep_listening", "paraphrase", "apologize")):
    scene = app.scene
    for oid in choices:
        scene.conversation.choose(oid, now=1000.0 * (len(scene.conversation.state.turns) + 1))
    scene._rebuild()
    app.now = 10_000.0


@pytest.mark.parametrize("size", [window.MIN_SIZE, (1024, 768), window.DEFAULT_SIZE, (1920, 1080)])
def test_every_text_size_keeps_the_header_transcript_and_options(monkeypatch, size):
    """Ctrl + up to the largest size the window allows, and every part of the role-play stays."""
    checked = []

    def script(app):
        pygame.display.set_mode(size, pygame.RESIZABLE)
        pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=size, w=size[0], h=size[1]))
        yield
        _session_with_history(app)
        for _ in range(15):  # 0.7 ... 2.0 and past it
            pygame.event.post(key(pygame.K_EQUALS, pygame.KMOD_CTRL))
            yield
            scene, surface = app.scene, pygame.display.get_surface()
            layout = scene.layout
            title, meta = layout["header"]
            assert title == "Charged twice" and meta.startswith("Trainee Ana · scored on Ten-step"), (app.fonts.scale, meta)
            assert len(layout["transcript"]) >= TRANSCRIPT_LINES, (app.fonts.scale, layout["transcript"])
            status_top = surface.get_height() - scene.status_height()
            body = pygame.Rect(0, 0, surface.get_width(), status_top)
            assert layout["options"] and all(body.contains(r) for r in layout["options"]), (app.fonts.scale, layout["options"])
            checked.append(app.fonts.scale)

    Driver(monkeypatch, script).run(BILLING, "--no-speech", "--no-save", "--trainee", "Ana", "--text-size", "0.7")
    assert checked[-1] == window.max_text_scale(size) and checked[-1] > 1.0
    assert checked == sorted(checked)


def test_ctrl_0_resets_the_text_size_and_the_size_is_remembered(monkeypatch):
    prefs = Path(os.environ["XDG_CONFIG_HOME"]) / "defuse" / "profile.json"  # the trainee's profile
    scales = []

    def script(app):
        scales.append(app.text_scale)
        for k, mod in [(pygame.K_EQUALS, pygame.KMOD_CTRL)] * 3 + [(pygame.K_0, pygame.KMOD_CTRL)] + [(pygame.K_MINUS, pygame.KMOD_CTRL)] * 2:
            pygame.event.post(key(k, mod))
            yield
            scales.append(app.text_scale)

    Driver(monkeypatch, script).run("--no-speech", "--no-save", "--trainee", "Ana")
    assert scales == [1.0, 1.1, 1.2, 1.3, 1.0, 0.9, 0.8]
    assert json.loads(prefs.read_text())["text_size"] == 0.8

    # the next run starts at the size chosen last; --text-size still wins for one run
    def look(app):
        scales.append(app.text_scale)
        yield

    scales.clear()
    Driver(monkeypatch, look).run("--no-speech", "--no-save", "--trainee", "Ana")
    Driver(monkeypatch, look).run("--no-speech", "--no-save", "--trainee", "Ana", "--text-size", "1.5")
    assert scales == [0.8, 1.5]
    assert json.loads(prefs.read_text())["text_size"] == 0.8


# ---------------------------------------------------------------- the debrief


@pytest.mark.parametrize("size", [window.MIN_SIZE, window.DEFAULT_SIZE, (1920, 1080)])
def test_the_debrief_shows_every_step_of_a_twelve_step_protocol(monkeypatch, size):
    seen = []

    def script(app):
        pygame.display.set_mode(size, pygame.RESIZABLE)
        pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=size, w=size[0], h=size[1]))
        yield
        _session_with_history(app, ("cut_in", "her_side"))  # she hangs up: plenty of feedback too
        pygame.event.post(key(pygame.K_RETURN))  # "See how you did"
        yield
        for _ in range(14):
            assert type(app.scene).__name__ == "Debrief"
            shown, total, cols = app.scene.layout["steps"]
            assert total == 12 and shown == 12, (app.fonts.scale, shown, cols)
            seen.append((app.fonts.scale, cols))
            pygame.event.post(key(pygame.K_EQUALS, pygame.KMOD_CTRL))
            yield

    Driver(monkeypatch, script).run(BILLING, "--no-speech", "--no-save", "--trainee", "Ana", "--protocol", "twelve_strategies", "--text-size", "0.7")
    assert seen[-1][0] == window.max_text_scale(size, (800, 600))


def test_the_protocol_counter_says_what_it_counts(monkeypatch):
    labels = []

    def script(app):
        _session_with_history(app, ("cut_in", "her_side"))
        pygame.event.post(key(pygame.K_RETURN))
        yield
        labels.append(app.scene.layout["protocol"])
        pygame.event.post(key(pygame.K_RIGHT))
        yield
        labels.append(app.scene.layout["protocol"])

    Driver(monkeypatch, script).run(BILLING, "--no-speech", "--no-save", "--trainee", "Ana")
    n = len(Library().get(BILLING).scenario.protocol_ids) if Library().get(BILLING).scenario.alternates else None
    (first, count1), (second, count2) = labels
    assert first == "Ten-step de-escalation process" and second != first
    total = int(count1.split(" of ")[1].split()[0])
    assert n is None or total == n
    assert count1.startswith("protocol ") and count1.endswith(f" of {total} to compare (◀ ▶ switch)")
    assert int(count2.split()[1]) == int(count1.split()[1]) % total + 1


# ---------------------------------------------------------------- the mouse and the transcript


def test_the_option_under_the_mouse_is_highlighted_even_after_it_changes(monkeypatch):
    seen = {}

    def colour_inside(app, rect):
        return tuple(pygame.display.get_surface().get_at((rect.right - 5, rect.centery)))[:3]

    def script(app):
        from simulator.play.theme import COLOURS

        scene = app.scene
        second = scene.layout["options"][1]
        seen["before"] = colour_inside(app, second)
        pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=second.center, rel=(0, 0), buttons=(0, 0, 0), touch=False))
        yield
        assert scene.hover is scene.focus.buttons[1]
        seen["hovered"] = colour_inside(app, second)
        edge = tuple(pygame.display.get_surface().get_at((second.centerx, second.top)))[:3]
        assert edge == COLOURS["accent"]  # a blue ring, unlike the yellow one of the keyboard focus
        # a click answers; the next options appear under the still pointer, and the one there lights up
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=second.center, button=1, touch=False))
        yield
        assert len(scene.recorder.state.turns) == 1
        under = next(b for b in scene.focus.buttons if b.rect.collidepoint(second.center))
        assert scene.hover is under
        seen["after"] = colour_inside(app, under.rect)

    Driver(monkeypatch, script).run(BILLING, "--no-speech", "--no-save", "--trainee", "Ana", "--seed", str(seed_showing("quick_see", 2)))
    from simulator.play.theme import COLOURS

    assert seen["before"] == COLOURS["panel"]
    assert seen["hovered"] == COLOURS["panel_hi"] == seen["after"]


def test_narration_shows_in_the_transcript_without_a_speaker(monkeypatch):
    by_the_book = ["breathe_listen", "keep_listening", "paraphrase", "apologize", "ask_cause", "found_it", "confirm", "process", "follow_up"]
    seen = {}

    def script(app):
        for oid in by_the_book:
            press_option(app, oid)
            yield
        scene = app.scene
        assert scene.conversation.narration  # the call is over: "The call has ended..."
        press_option(app, "log_it")
        yield
        seen["history"] = list(scene.conversation.history)
        seen["transcript"] = scene.transcript(400)
        seen["lines"] = scene.layout["transcript"]

    Driver(monkeypatch, script).run(BILLING, "--no-speech", "--no-save", "--trainee", "Ana", "--seed", "0")
    narrated = [(lines, slanted) for (lines, colour, slanted), ex in zip(seen["transcript"], seen["history"]) if ex.speaker == "narration"]
    assert narrated, "a narrator line reached the transcript"
    for lines, slanted in narrated:
        assert slanted and lines[0].startswith("The call has ended")
    assert not any(line.startswith("—") for line in seen["lines"])
    assert any(line.startswith("You: ") for line in seen["lines"])


# ---------------------------------------------------------------- the picker


def test_the_picker_shows_each_scenarios_best_and_last_score_for_this_trainee(monkeypatch):
    from simulator.library import protocol
    from simulator.session import Recorder

    sc = Library().get(BILLING).scenario
    good = ["breathe_listen", "keep_listening", "paraphrase", "apologize", "ask_cause", "found_it", "confirm", "process", "follow_up", "log_it", "think_back"]
    with Store(os.environ["DEFUSE_DB"]) as store:
        def played(trainee, choices, mode="window"):
            rec = Recorder(sc, protocol(sc.protocol), trainee=trainee, seed=1, store=store, mode=mode)
            for c in choices:
                rec.choose(c)
            # a day apart: sessions begun in the same second have no order of their own
            day = 1 + store.count()
            with store.conn:
                store.conn.execute("UPDATE sessions SET started_at=? WHERE id=?", (f"2026-01-{day:02d}T10:00:00Z", rec.session_id))
            return rec.result.total if rec.finished else None

        best = played("Ana", good)
        last = played("ana", ["cut_in", "her_side"])  # the same trainee, however the name is typed
        played("Bo", good)  # another trainee
        played("Ana", ["cut_in", "her_side"][:1])  # unfinished: no score yet
        played("Ana", good, mode="scripted")  # a scripted run is not practice
    assert best > last
    seen = {}

    def script(app):
        picker = app.scene
        seen["order"] = [e.id for e in picker.entries]
        seen["lines"] = {e.id: picker.results_line(e.id) for e in picker.entries}
        yield

    Driver(monkeypatch, script).run("--no-speech", "--trainee", "Ana")
    assert seen["lines"][BILLING] == f"Your best {best:.0f} · last {last:.0f} (not passed) · played 2 times"
    assert all(line == "Not played yet" for sid, line in seen["lines"].items() if sid != BILLING)
    # one order for both pickers: the terminal lists the same scenarios in the same order, by protocol name
    from test_terminal import _args, _play

    status, out = _play(_args(Path(os.environ["DEFUSE_DB"]), scenario=None, trainee="Ana"), ["q"])
    library = Library()
    titles = [library.get(sid).scenario.title for sid in seen["order"]]
    at = [out.index(f". {t}\n") for t in titles]
    assert at == sorted(at) and status == 0
    assert f"scored on {protocol(sc.protocol).title}" in " ".join(out.split())
    assert "scored on ten_step" not in out


# ---------------------------------------------------------------- frames drawn while nothing moves


class FakePlayback:
    """A sound card that plays every line in 0.2 s."""

    ready, notice = True, None

    def play(self, path):
        return 0.2

    def stop(self):
        pass

    def close(self):
        pass


class StuckSpeaker:
    """A speech engine that hands out the first line and then never finishes another: busy for
    ever, its progress stuck at 1 of 40 lines (or, `ticking`, one more line every quarter second)."""

    available, notice = True, None
    busy = True

    def __init__(self, ticking=False):
        self.ticking, self.t0 = ticking, time.monotonic()

    @property
    def progress(self):
        return (1 + int((time.monotonic() - self.t0) * 4) % 39 if self.ticking else 1), 40

    def warm_up(self):
        pass

    def prefetch(self, jobs):
        pass

    def request(self, job):
        return "first-line.wav"

    def poll(self):
        return []

    def close(self):
        pass


def frames_while_waiting(monkeypatch, ticking):
    from simulator.play import audio

    monkeypatch.setattr(audio, "Playback", FakePlayback)
    monkeypatch.setattr(window, "Speaker", lambda: StuckSpeaker(ticking))
    seen = {}

    def script(app):
        assert type(app.scene).__name__ == "RolePlay"
        yield 1.0  # the line is said (0.2 s) and the meter settles; then nobody does anything
        assert not app.scene.conversation.speaking(app.now) and not app.scene.animating
        seen["notice"] = app.notices()[0][0]
        start = driver.frames
        yield 2.0
        seen["frames"] = driver.frames - start

    driver = Driver(monkeypatch, script)
    driver.run(BILLING, "--trainee", "Ana", "--no-save")
    return seen


def test_a_stuck_speech_engine_does_not_keep_the_window_redrawing(monkeypatch):
    seen = frames_while_waiting(monkeypatch, ticking=False)
    assert seen["notice"] == "Preparing the voice: 1 of 40 lines"
    # two idle seconds: the frame the timer's wake-up draws, not 120 frames at 60 a second
    assert seen["frames"] <= 2, seen


def test_the_voice_progress_redraws_when_it_changes_not_sixty_times_a_second(monkeypatch):
    seen = frames_while_waiting(monkeypatch, ticking=True)
    # the progress moves 4 times a second: about 8 new status lines in 2 s, each drawn once
    assert 4 <= seen["frames"] <= 12, seen
