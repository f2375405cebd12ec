"""Speech: voice settings, the WAV cache, the spawned worker, and captions-only fallback.

The worker runs in a real spawned process. A fake engine (defined here, so the worker can
import it) stands in for pyttsx3 where espeak-ng is not the point; one test uses the real
engine when espeak-ng is installed. No test ever plays audio.
"""
from __future__ import annotations

import os
import shutil
import time
import wave

import pytest

from simulator.model import Voice
from simulator.play.speech import SpeechJob, Speaker, cache_dir, cache_path, voice_for, wav_duration

VOICE = Voice(gender="female", voice="en-us", rate=170, pitch=58, volume=0.85)


class FakeEngine:
    """Writes one second of silence per save_to_file, like pyttsx3 does on runAndWait."""

    def __init__(self):
        self.props, self.pending = {}, None

    def setProperty(self, name, value):
        self.props[name] = value

    def save_to_file(self, text, path):
        self.pending = path

    def runAndWait(self):
        print("Audio saved to", self.pending)  # as pyttsx3 does: must not reach the parent's stdout
        with wave.open(self.pending, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\0\0" * 8000)
        self.pending = None


def fake_engine():
    return FakeEngine()


class HangingEngine(FakeEngine):
    """Never returns from a line that says "hang" (or from any line, with `always`)."""

    always = False

    def save_to_file(self, text, path):
        self.text = text
        super().save_to_file(text, path)

    def runAndWait(self):
        if self.always or "hang" in self.text:
            time.sleep(3600)
        super().runAndWait()


class AlwaysHangingEngine(HangingEngine):
    always = True


def hanging_engine():
    return HangingEngine()


def always_hanging_engine():
    return AlwaysHangingEngine()


def engine_that_never_starts():
    time.sleep(3600)


def missing_engine():
    raise RuntimeError("could not initialize espeak")


def job(text="Finally, a person.", line="open.line", anger=70.0):
    return SpeechJob(line, text, voice_for(VOICE, anger))


def test_voice_rises_with_anger_and_follows_the_persona():
    calm, upset, angry, hostile = (voice_for(VOICE, a) for a in (10, 30, 60, 90))
    assert calm.rate == VOICE.rate and calm.volume == VOICE.volume
    assert calm.rate < upset.rate < angry.rate < hostile.rate
    assert calm.volume < upset.volume < angry.volume < hostile.volume <= 1.0
    assert hostile.voice == "en-us+f3"  # a female variant of the persona's voice
    assert voice_for(Voice(gender="male", voice="en-gb"), 10).voice == "en-gb+m3"
    assert voice_for(VOICE, 30) == voice_for(VOICE, 45)  # one render per band, not per anger value


def test_cache_key_covers_line_text_and_voice():
    base = job()
    assert job().key == base.key
    assert job(text="Finally, somebody.").key != base.key
    assert job(line="other.line").key != base.key
    assert job(anger=90).key != base.key
    assert cache_path(base).parent == cache_dir()
    assert str(cache_dir()).startswith(os.environ["XDG_CACHE_HOME"])  # tests never touch the real cache


@pytest.mark.slow
def test_a_cached_line_is_not_rendered_twice(tmp_path, capfd):
    speaker = Speaker(tmp_path, make_engine=fake_engine)
    try:
        assert speaker.request(job()) is None  # not cached yet: queued for the worker
        speaker.wait()
        assert speaker.available and speaker.renders == 1
        path = speaker.request(job())
        assert path is not None and wav_duration(path) == pytest.approx(1.0)
        speaker.prefetch([job(), job()])  # asking again, even in bulk, renders nothing new
        speaker.wait()
        assert speaker.renders == 1
    finally:
        speaker.close()
    again = Speaker(tmp_path, make_engine=fake_engine)
    assert again.request(job()) == path and again.renders == 0  # a new session reuses the file
    again.close()
    assert "Audio saved" not in capfd.readouterr().out


@pytest.mark.slow
def test_prefetch_renders_each_line_once_and_reports_progress(tmp_path):
    speaker = Speaker(tmp_path, make_engine=fake_engine)
    try:
        jobs = [job(line=f"l{i}.line") for i in range(3)]
        speaker.prefetch(jobs + jobs)
        assert speaker.progress == (0, 3)
        speaker.wait()
        assert speaker.progress == (3, 3) and speaker.renders == 3 and not speaker.busy
        assert all(speaker.path_if_ready(j) for j in jobs)
    finally:
        speaker.close()


@pytest.mark.slow
def test_missing_engine_means_captions_only_with_one_notice(tmp_path):
    speaker = Speaker(tmp_path, make_engine=missing_engine)
    try:
        speaker.request(job())
        speaker.wait()
        assert speaker.available is False
        notice = speaker.notice
        assert notice and "captions only" in notice
        assert speaker.request(job(line="next.line")) is None and not speaker.busy
        speaker.poll()
        assert speaker.notice == notice
        assert not any(tmp_path.glob("*.wav"))
    finally:
        speaker.close()


@pytest.mark.window
@pytest.mark.slow
def test_the_window_carries_on_without_a_speech_engine(monkeypatch):
    """Pick a scenario with no engine: one notice, captions at the persona's rate, and a full session."""
    import pygame

    import simulator.play.speech as speech
    from simulator.cli import build_parser
    from simulator.library import Library
    from simulator.play.widgets import Pick
    from simulator.play.window import DEFAULT_SIZE, App

    monkeypatch.setattr(speech, "pyttsx3_engine", missing_engine)
    args = build_parser().parse_args(["play", "billing_double_charge", "--trainee", "Sam", "--no-save", "--seed", "0"])
    pygame.init()
    try:
        surface = pygame.display.set_mode(DEFAULT_SIZE)
        app = App(args, Library(), None)
        try:
            app.play(app.library.get("billing_double_charge"))
            scene = app.scene
            for _ in range(2000):
                scene.update(0.005)
                if app.speaker.available is False:
                    break
                app.speaker.wait(0.005)
            assert app.notices() == [(app.speaker.notice, True)]
            assert not scene.conversation.voiced  # timing from words per minute
            for number in (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1):
                app.now = scene.conversation.started_at + scene.conversation.duration + 0.1
                scene.update(0.1)
                scene.draw(surface)
                scene.handle(Pick(number))
            assert scene.conversation.finished
            assert len(app.notices()) == 1
        finally:
            app.close()
    finally:
        pygame.quit()


@pytest.mark.skipif(shutil.which("espeak-ng") is None and shutil.which("espeak") is None, reason="espeak-ng is not installed")
def test_espeak_renders_a_real_wav_in_a_spawned_worker(tmp_path, capfd):
    speaker = Speaker(tmp_path)
    try:
        line = job(text="I see.", line="short.line")
        speaker.request(line)
        speaker.wait(60)
        if speaker.available is False:
            pytest.skip(f"the speech engine did not start: {speaker.notice}")
        path = speaker.path_if_ready(line)
        assert path is not None
        with wave.open(str(path), "rb") as w:
            assert w.getnframes() > 0 and w.getnchannels() == 1 and w.getframerate() > 0
        assert not list(tmp_path.glob("*.part"))
    finally:
        speaker.close()
    assert capfd.readouterr().out == ""


def test_an_unwritable_cache_turns_the_voice_off_with_one_notice(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    speaker = Speaker(blocked / "speech", make_engine=fake_engine)
    assert speaker.request(job()) is None
    assert speaker.available is False and "captions only" in speaker.notice
    assert speaker.renders == 0 and not speaker.busy
    speaker.close()


def test_a_hung_render_is_abandoned_at_its_deadline_and_a_new_worker_says_the_next_lines(tmp_path):
    speaker = Speaker(tmp_path, make_engine=hanging_engine, deadline=1.0)
    try:
        stuck, after = job(text="I hang here.", line="stuck.line"), job(line="after.line")
        speaker.prefetch([stuck, after])
        speaker.wait(60)
        assert speaker.restarts == 1 and speaker.available is True and speaker.notice is None
        assert stuck.key in speaker.failed and speaker.path_if_ready(stuck) is None  # that line: captions only
        assert speaker.path_if_ready(after) is not None  # the next line was not held up for good
        assert speaker.progress == (2, 2) and not speaker.busy
        later = job(line="later.line")
        assert speaker.request(later) is None
        speaker.wait(60)
        assert speaker.path_if_ready(later) is not None and speaker.restarts == 1
    finally:
        speaker.close()


def test_an_engine_that_hangs_again_after_a_restart_turns_the_voice_off_with_one_notice(tmp_path):
    speaker = Speaker(tmp_path, make_engine=always_hanging_engine, deadline=1.0)
    try:
        speaker.prefetch([job(line=f"l{i}.line") for i in range(4)])
        speaker.wait(60)
        assert speaker.available is False and speaker.restarts == 1
        assert speaker.notice == "The speech engine stopped responding: captions only."
        assert not speaker.busy and speaker._proc is None  # nothing left running, nothing queued
        assert speaker.request(job(line="next.line")) is None and not speaker.busy  # later lines do not wait for it
    finally:
        speaker.close()


def test_a_worker_that_never_starts_its_engine_is_given_up_at_the_start_deadline(tmp_path):
    speaker = Speaker(tmp_path, make_engine=engine_that_never_starts, start_deadline=2.0)
    try:
        speaker.request(job())
        speaker.wait(60)
        assert speaker.available is False and speaker.restarts == 0
        assert speaker.notice == "The speech engine stopped responding: captions only."
        assert speaker._proc is None and not speaker.busy
    finally:
        speaker.close()
