"""Keyboard-only play through the real event loop, the debrief's protocol switch, and
layouts that follow the window size (dummy SDL drivers from conftest)."""
from __future__ import annotations

import json
import os

import pygame

from simulator.engine import presented, start
from simulator.library import Library
import pytest

from simulator.cli import build_parser
from simulator.play import window
from simulator.play.commands import cmd_play
from simulator.play.widgets import Move
from simulator.store import Store

pytestmark = pytest.mark.window


def key(k, mod=0, text=""):
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode=text, scancode=0)


def type_into_window(monkeypatch, events) -> None:
    """Queue these input events as soon as the real window opens."""
    opened = window._open_window

    def open_and_type(pg, size):
        surface = opened(pg, size)
        for e in events:
            pg.event.post(e)
        return surface

    monkeypatch.setattr(window, "_open_window", open_and_type)


def test_a_whole_session_by_keyboard_alone(monkeypatch):
    events = [pygame.event.Event(pygame.TEXTINPUT, text="Ana"), key(pygame.K_RETURN)]  # the name, asked once
    events += [key(pygame.K_TAB), key(pygame.K_TAB, pygame.KMOD_SHIFT), key(pygame.K_RETURN)]  # focus moves, Enter picks
    events += [key(pygame.K_1, text="1")] * 11  # number keys answer (quickly: some cut in)
    events += [key(pygame.K_EQUALS, pygame.KMOD_CTRL), key(pygame.K_RETURN)]  # bigger text, then the debrief
    events += [key(pygame.K_RIGHT), key(pygame.K_ESCAPE), key(pygame.K_ESCAPE)]  # switch protocol, back, quit
    # closing the window ends the run whatever happened (on a slow machine more answers can cut in,
    # and a session still going when Esc comes only asks whether to leave)
    events += [pygame.event.Event(pygame.QUIT)]
    type_into_window(monkeypatch, events)
    args = build_parser().parse_args(["play", "--no-speech", "--seed", "0"])
    assert cmd_play(args) == 0
    with Store(os.environ["DEFUSE_DB"]) as store:
        # if it ended early, the last key presses may start another session in the same second
        # (sessions started in one second are listed by id), so take the one that was finished
        session = next(s for s in store.find() if s.complete)
    # pressing 1 every turn plays whatever seed 0 shows first: the session ends, one way or another
    assert session.trainee == "Ana" and 1 <= len(session.turns) <= 11
    assert all(t.shown and t.choice == t.shown[0] for t in session.turns)
    assert session.scenario == "billing_double_charge" and session.mode == "window"
    assert any(t.interrupted for t in session.turns)  # answering at once talks over her
    profile = json.loads((os.environ["XDG_CONFIG_HOME"] / __import__("pathlib").Path("defuse/profile.json")).read_text())
    assert profile["trainee"] == "Ana"


def app_for(*argv):
    args = build_parser().parse_args(["play", "--no-speech", "--no-save", "--trainee", "Ana", *argv])
    return window.App(args, Library(), None, autoplaying=True)


@pytest.fixture
def screen():
    pygame.init()
    yield pygame.display.set_mode(window.DEFAULT_SIZE)
    pygame.quit()


def test_debrief_rescores_the_same_session_against_another_protocol(screen):
    app = app_for()
    app.play(app.library.get("billing_double_charge"))
    scene = app.scene
    for oid in ["breathe_listen", "keep_listening", "paraphrase", "apologize", "ask_cause", "found_it", "confirm", "process", "follow_up", "log_it", "think_back"]:
        scene.conversation.choose(oid, now=1000.0 * (len(scene.conversation.state.turns) + 1))
    app.debrief(scene.recorder)
    debrief = app.scene
    first = debrief.result
    assert first.protocol == "ten_step"
    seen = {first.protocol: first.total}
    for _ in range(len(debrief.protocols) - 1):
        debrief.handle(Move(1, sideways=True))
        debrief.draw(screen)
        assert debrief.result.protocol == debrief.protocol.id
        seen[debrief.result.protocol] = debrief.result.total
    assert len(seen) == len(debrief.protocols) and len(set(seen.values())) > 1
    debrief.handle(Move(1, sideways=True))
    assert debrief.result.protocol == "ten_step" and debrief.result.total == first.total
    assert scene.recorder.state.turns == debrief.recorder.state.turns  # rescoring never replays
    app.close()


@pytest.mark.parametrize("size", [(800, 600), (1280, 800), (1920, 1080)])
def test_layout_follows_the_window_size(screen, size):
    app = app_for("--text-size", "1.3")
    surface = pygame.Surface(size)
    app.picker()
    app.scene.draw(surface)
    app.play(app.library.get("billing_double_charge"))
    app.scene.draw(surface)
    bounds = surface.get_rect()
    for b in app.scene.focus.buttons:
        assert bounds.contains(b.rect), (size, b.label)
    app.debrief(app.scene.recorder)
    app.scene.draw(surface)
    for b in app.scene.focus.buttons:
        assert bounds.contains(b.rect), (size, b.label)
    app.close()


def test_feedback_scrolls_and_resets_when_the_protocol_changes(screen):
    app = app_for()
    app.play(app.library.get("billing_double_charge"))
    scene = app.scene
    for oid in ["cut_in", "her_side"]:  # cutting in, then blaming her: she hangs up
        scene.conversation.choose(oid, now=1000.0 * (len(scene.conversation.state.turns) + 1))
    app.debrief(scene.recorder)
    debrief = app.scene
    assert len(debrief.result.feedback) > 2
    debrief.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_PAGEDOWN, mod=0, unicode=""))
    debrief.handle_event(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=-1, flipped=False, precise_x=0.0, precise_y=-1.0, touch=False))
    assert debrief.first_feedback == 2
    debrief.draw(screen)
    for _ in range(100):
        debrief.scroll(1)
    assert debrief.first_feedback == len(debrief.result.feedback) - 1  # the last point stays on screen
    debrief.handle(Move(1, sideways=True))
    assert debrief.first_feedback == 0
    app.close()


def test_closing_the_window_mid_session_keeps_the_turns_as_incomplete(monkeypatch):
    """`defuse play SCENARIO` with no remembered name: asked once, then straight into the call."""
    sc = Library().get("billing_double_charge").scenario
    # a seed that shows "I see" second, so key 2 answers without ending the call
    seed = next(n for n in range(100) if [o.id for o in presented(sc, start(sc, n))][1] == "quick_see")
    events = [pygame.event.Event(pygame.TEXTINPUT, text="Bo"), key(pygame.K_RETURN), key(pygame.K_2, text="2"), pygame.event.Event(pygame.QUIT)]
    type_into_window(monkeypatch, events)
    assert cmd_play(build_parser().parse_args(["play", "billing_double_charge", "--no-speech", "--seed", str(seed)])) == 0
    with Store(os.environ["DEFUSE_DB"]) as store:
        [session] = list(store.find())
    assert session.trainee == "Bo" and not session.complete
    assert [t.choice for t in session.turns] == ["quick_see"] and session.seed == seed


def test_no_audio_device_means_captions_only_with_one_notice(monkeypatch, screen):
    from simulator.play.audio import Playback

    def no_device(*a, **k):
        raise pygame.error("dsp: No such audio device")

    monkeypatch.setattr(pygame.mixer, "init", no_device)
    playback = Playback()
    assert not playback.ready and "captions only" in playback.notice
    assert playback.play("anything.wav") is None
    args = build_parser().parse_args(["play", "--no-save", "--trainee", "Ana"])
    app = window.App(args, Library(), None)
    try:
        assert app.speaker is None  # nothing to hear, so no voice is rendered either
        assert app.notices() == [(app.playback.notice, True)]
        app.play(app.library.get("billing_double_charge"))
        app.scene.draw(screen)
        app.scene.choose("breathe_listen")
        assert len(app.scene.recorder.state.turns) == 1 and len(app.notices()) == 1
    finally:
        app.close()


def test_the_picker_scrolls_to_keep_the_focused_scenario_in_view(screen):
    from simulator.play.widgets import Pick

    app = app_for()
    app.picker()
    picker = app.scene
    surface = pygame.Surface((1000, 560))  # two columns, room for few rows
    picker.draw(surface)
    assert any(card.rect is None for card in picker.cards)  # more scenarios than fit
    for i in range(len(picker.cards)):
        picker.focus.index = i
        picker.draw(surface)
        assert picker.cards[i].rect is not None and surface.get_rect().contains(picker.cards[i].rect)
    picker.handle(Pick(2))  # number keys pick, whatever is scrolled into view
    assert type(app.scene).__name__ == "RolePlay"
    assert app.scene.recorder.scenario.id == picker.cards[1].value.id
    app.close()
