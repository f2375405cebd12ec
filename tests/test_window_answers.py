"""The window's answers in the trainee's own words: typed into the answer line, or spoken
(a WAV file standing in for the microphone). Dummy SDL drivers from conftest."""
from __future__ import annotations

import shutil
import subprocess
import time
import wave

import numpy as np
import pygame
import pytest

from simulator.cli import build_parser
from simulator.library import Library
from simulator.play import window
from simulator.play.listening.source import RATE, MicrophoneSource, WavSource, read_wav

pytestmark = pytest.mark.window


def app_for(*argv):
    args = build_parser().parse_args(["play", "--no-speech", "--no-save", "--trainee", "Ana", *argv])
    return window.App(args, Library(), None)


@pytest.fixture
def screen():
    pygame.init()
    yield pygame.display.set_mode(window.DEFAULT_SIZE)
    pygame.quit()


@pytest.fixture
def roleplay(screen):
    app = app_for()
    app.play(app.library.get("billing_double_charge"))
    yield app, app.scene
    app.close()


def type_words(scene, text: str) -> None:
    for ch in text:
        scene.handle_event(pygame.event.Event(pygame.TEXTINPUT, text=ch))
    scene.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0, unicode="\r", scancode=0))


def test_a_letter_opens_the_answer_line_and_typed_words_pick_the_option(roleplay, screen):
    app, scene = roleplay
    app.now = 60.0  # the customer has long finished
    type_words(scene, "take a slow breath and let her finish")
    (turn,) = scene.recorder.state.turns
    assert turn.choice == "breathe_listen" and turn.words == "take a slow breath and let her finish" and not turn.interrupted
    assert not scene.typing
    # a number key still picks, and stores no words; digits typed into the line are words
    scene.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_1, mod=0, unicode="1", scancode=0))
    assert scene.recorder.state.turns[-1].words is None
    scene.draw(screen)


def test_typed_words_close_to_two_options_highlight_both_and_a_number_settles_it(roleplay, screen):
    app, scene = roleplay
    for oid in ("breathe_listen", "keep_listening", "feel_it", "apologize", "ask_cause"):
        scene.choose(oid)
    app.now = 600.0
    type_words(scene, "refund")
    assert len(scene.recorder.state.turns) == 5  # nothing chosen yet
    highlighted = [b.value for b in scene.focus.buttons if b.chosen]
    assert sorted(highlighted) == ["cant_yet", "found_it"]
    assert "could be either" in scene.answering.note and "press (or say) the number you mean" in scene.answering.note
    scene.draw(screen)
    number = [b.value for b in scene.focus.buttons].index("cant_yet") + 1
    scene.handle_event(pygame.event.Event(pygame.KEYDOWN, key=getattr(pygame, f"K_{number}"), mod=0, unicode=str(number), scancode=0))
    last = scene.recorder.state.turns[-1]
    assert last.choice == "cant_yet" and last.words == "refund"


def test_nonsense_typed_asks_again_and_esc_closes_the_line_without_leaving(roleplay, screen):
    app, scene = roleplay
    type_words(scene, "purple monkey dishwasher")
    assert scene.recorder.state.turns == () and "is not close to any answer" in scene.answering.note
    scene.handle_event(pygame.event.Event(pygame.TEXTINPUT, text="x"))
    assert scene.typing and scene.answering.draft == "x"
    scene.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode="", scancode=0))
    assert not scene.typing and app.scene is scene  # Esc closed the line, not the session
    scene.draw(screen)


@pytest.mark.slow
def test_with_no_microphone_the_toggle_is_disabled_with_one_notice(screen):
    app = app_for("--voice-answers")
    try:
        app.play(app.library.get("billing_double_charge"))
        app.listener._proc.join(60)
        app.listener.wait(10)
        notes = [text for text, warning in app.notices() if warning]
        assert notes == [app.listener.notice] and notes[0].startswith("Spoken answers are off: ")
        app.scene.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F2, mod=0, unicode="", scancode=0))
        assert not app.voice_on
        app.scene.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F2, mod=0, unicode="", scancode=0))
        assert not app.voice_on and [t for t, w in app.notices() if w] == notes
        app.scene.draw(pygame.display.get_surface())
    finally:
        app.close()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (tools/sysdeps.sh installs it as root): no speech to test with")
def test_an_answer_spoken_while_the_customer_talks_is_chosen_as_an_interruption(roleplay, screen, tmp_path):
    app, scene = roleplay
    wav = tmp_path / "said.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(wav), "Okay, can I just get your account number first?"], check=True)
    audio = np.concatenate([np.zeros(int(1.5 * RATE), np.int16), read_wav(wav), np.zeros(RATE, np.int16)])
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(audio.astype("<i2").tobytes())
    conv = scene.conversation
    assert conv.duration > 5.0  # the first line takes a while to say
    app.toggle_voice(source=WavSource(str(wav), origin=app.t0 + conv.started_at))
    assert app.voice_on
    app.now = conv.started_at + 4.0  # recognised a little later, still during the line
    end = time.monotonic() + 60
    while not scene.recorder.state.turns and time.monotonic() < end:
        time.sleep(0.05)
        scene.update(0.0)
    (turn,) = scene.recorder.state.turns
    assert turn.choice == "cut_in" and turn.words.startswith("okay can i just get")
    assert turn.interrupted and turn.elapsed == pytest.approx(1.5, abs=0.12)  # from when the trainee began
    scene.draw(screen)
