"""Spoken answers, tested on WAV input: speech made by espeak-ng at test time, fed through the
voice-activity detector and pocketsphinx with the grammar of the options on screen."""
from __future__ import annotations

import shutil
import subprocess
import wave

import numpy as np
import pytest

from simulator.library import Library, protocol
from simulator.play.answers import Verdict
from simulator.play.conversation import Conversation
from simulator.play.listening.grammar import build_jsgf, interpret, words_of
from simulator.play.listening.listener import Ear, Heard, Listener, Notice, Onset
from simulator.play.listening.recogniser import Recogniser
from simulator.play.listening.source import RATE, MicrophoneSource, SamplesSource, WavSource, read_wav, resample
from simulator.session import Recorder

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (tools/sysdeps.sh installs it as root): no speech to test with")


@pytest.fixture(scope="module")
def billing():
    return Library().get("billing_double_charge").scenario


@pytest.fixture(scope="module")
def ear():
    return Ear()


def offered(scenario, node):
    return [(o.id, o.text) for o in scenario.node(node).options]


def speech(tmp_path, text: str, voice: str = "en-us", rate: int = 165) -> np.ndarray:
    """`text` spoken by espeak-ng, as 16 kHz samples."""
    path = tmp_path / "said.wav"
    subprocess.run([ESPEAK, "-v", voice, "-s", str(rate), "-w", str(path), text], check=True)
    return read_wav(path)


def hear(ear: Ear, samples: np.ndarray, options, *, lead: float = 0.5, tail: float = 1.0, origin: float = 0.0) -> list:
    """Every event for `samples` said after `lead` seconds of quiet, on a clock starting at `origin`."""
    ear.use(options, 1)
    audio = np.concatenate([np.zeros(int(lead * RATE), np.int16), samples, np.zeros(int(tail * RATE), np.int16)])
    stream = SamplesSource(audio, origin=origin).open()
    events, last = [], origin
    while (got := stream.read()) is not None:
        last = got[0]
        events += ear.step(*got)
    return events + ear.finish(last)


def heard(events) -> list[Heard]:
    return [e for e in events if isinstance(e, Heard)]


# ---------------------------------------------------------------- the grammar (pure)


def test_the_grammar_allows_each_option_a_leading_part_of_it_and_the_numbers(billing):
    known = Recogniser().known
    opts = offered(billing, "explained")
    g = build_jsgf(opts, known)
    assert g.startswith("#JSGF V1.0;") and "public <answer> =" in g
    k = [o[0] for o in opts].index("jump_fix")
    assert f"<o{k}> = i'll [refund [one [of [the [payments]]]]];" in g
    numbers = ["one", "two", "three", "four", "five", "six"][: len(opts)]
    assert f"[option | number] ({' | '.join(numbers)})" in g
    assert interpret(["i'll", "refund"], opts, known).option == "jump_fix"
    assert interpret(["option", "three"], opts, known).option == opts[2][0]
    assert interpret(["four"], opts, known).option == opts[3][0]
    assert interpret([], opts, known).verdict is Verdict.NONE


def test_a_part_shared_by_two_options_is_a_close_call_not_a_choice(billing):
    known = Recogniser().known
    opts = [("a", "I'll refund one of them."), ("b", "I'll refund nothing at all.")]
    said = interpret(["i'll", "refund"], opts, known)
    assert said.verdict is Verdict.CLOSE and said.candidates == ("a", "b")
    assert interpret(["i'll", "refund", "nothing"], opts, known).option == "b"


def test_words_the_dictionary_lacks_are_left_out_and_digits_become_words():
    known = Recogniser().known
    assert words_of("Done - your refund reference is R-5521, call 2 me.", known) == ["done", "your", "refund", "reference", "is", "r", "call", "two", "me"]
    assert "zzxqv" not in build_jsgf([("a", "Zzxqv said hello")], known)


def test_audio_is_resampled_to_16_khz_and_a_bad_wav_is_one_clear_error(tmp_path):
    tone = (np.sin(np.arange(22050) * 2 * np.pi * 440 / 22050) * 8000).astype(np.int16)
    out = resample(tone, 22050)
    assert len(out) == RATE
    peak = np.argmax(np.abs(np.fft.rfft(out.astype(float))))
    assert abs(peak - 440) <= 1  # one second: bin = Hz
    bad = tmp_path / "eight_bit.wav"
    with wave.open(str(bad), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(bytes(800))
    with pytest.raises(ValueError, match="only 16-bit PCM"):
        read_wav(bad)


# ---------------------------------------------------------------- recognition on WAV input


@needs_espeak
def test_a_whole_option_said_picks_it(tmp_path, ear, billing):
    opts = offered(billing, "explained")
    for oid, text in opts:
        (h,) = heard(hear(ear, speech(tmp_path, text.strip("()")), opts))
        assert h.verdict is Verdict.CHOSEN and h.option == oid, (text, h)
        assert h.result.confidence >= 0.45 and h.result.words


@needs_espeak
def test_the_start_of_an_option_picks_it_when_only_one_option_starts_that_way(tmp_path, ear, billing):
    opts = offered(billing, "acknowledged")
    (h,) = heard(hear(ear, speech(tmp_path, "When did you first notice"), opts))
    assert h.option == "ask_first" and h.result.words == "when did you first notice"


@pytest.mark.parametrize("said, n", [("two", 2), ("option two", 2), ("number three", 3)])
@needs_espeak
def test_an_option_number_said_picks_that_option(tmp_path, ear, billing, said, n):
    opts = offered(billing, "explained")
    (h,) = heard(hear(ear, speech(tmp_path, said), opts))
    assert h.verdict is Verdict.CHOSEN and h.option == opts[n - 1][0]


def test_silence_is_neither_an_onset_nor_an_answer(ear, billing):
    assert hear(ear, np.zeros(3 * RATE, np.int16), offered(billing, "explained")) == []
    hum = (np.sin(np.arange(2 * RATE) * 2 * np.pi * 50 / RATE) * 300).astype(np.int16)  # mains hum, quietly
    assert hear(ear, hum, offered(billing, "explained")) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noise_never_picks_an_option(ear, billing, seed):
    rng = np.random.default_rng(seed)
    noise = np.clip(rng.normal(0, 4000, 2 * RATE), -32768, 32767).astype(np.int16)
    events = hear(ear, noise, offered(billing, "explained"))
    assert all(h.option is None for h in heard(events))


@needs_espeak
def test_speech_from_outside_the_options_is_not_taken(tmp_path, ear, billing):
    for sentence in ("the weather is lovely today", "could you tell me where the station is"):
        events = hear(ear, speech(tmp_path, sentence), offered(billing, "explained"))
        assert [h.verdict for h in heard(events)] == [Verdict.NONE]


@needs_espeak
def test_the_onset_is_when_the_trainee_began_and_the_decision_follows_the_end_quickly(tmp_path, ear, billing):
    said = speech(tmp_path, "I'll refund one of the payments.")
    voiced = np.nonzero(np.abs(said) > 500)[0]
    begins, ends = 2.0 + voiced[0] / RATE, 2.0 + voiced[-1] / RATE
    events = hear(ear, said, offered(billing, "explained"), lead=2.0)
    (onset,) = [e for e in events if isinstance(e, Onset)]
    (h,) = heard(events)
    assert abs(onset.at - begins) <= 0.1 and onset.detected - begins <= 0.15
    # one utterance bounds the tail (the benchmark reports the median): the decoder waits out a short pause
    assert h.option == "jump_fix" and 0 <= h.decided - ends <= 0.7


@needs_espeak
def test_speaking_over_the_customers_line_is_an_interruption_with_its_timing(tmp_path, ear, billing):
    """The customer starts a line at t=10 s; the trainee starts answering 1.2 s in."""
    rec = Recorder(billing, protocol(billing.protocol))
    for cid in ("breathe_listen", "keep_listening"):
        rec.choose(cid)
    conv = Conversation(rec, now=10.0)
    assert conv.speaking(11.2) and conv.duration > 3.0
    events = hear(ear, speech(tmp_path, "Having it happen twice with rent due would worry anyone."), [(o.id, o.text) for o in conv.options], lead=1.2, origin=10.0)
    (onset,) = [e for e in events if isinstance(e, Onset)]
    (h,) = heard(events)
    state = conv.choose(h.option, h.decided, words=h.result.words, spoke_at=onset.at)
    turn = state.turns[-1]
    assert turn.choice == "feel_it" and turn.interrupted and turn.words.startswith("having it happen twice")
    assert turn.elapsed == pytest.approx(1.2, abs=0.1)  # when they began, not when the words were recognised
    # the same answer begun after the customer's line has ended is not an interruption
    late = conv.started_at + conv.duration + 0.5
    events = hear(ear, speech(tmp_path, "I'm sorry you've had to chase this a second time."), [(o.id, o.text) for o in conv.options], lead=0.5, origin=late - 0.5)
    (onset,) = [e for e in events if isinstance(e, Onset)]
    (h,) = heard(events)
    turn = conv.choose(h.option, h.decided, words=h.result.words, spoke_at=onset.at).turns[-1]
    assert turn.choice == "apologize" and not turn.interrupted


@needs_espeak
def test_the_worker_process_hears_a_wav_file_and_reports_back(tmp_path, billing):
    path = tmp_path / "answer.wav"
    subprocess.run([ESPEAK, "-v", "en-us", "-s", "165", "-w", str(path), "When did you first notice the second payment?"], check=True)
    listener = Listener(WavSource(str(path), origin=5.0), offered(billing, "acknowledged"))
    try:
        events = listener.wait(60.0)
    finally:
        listener.close()
    assert listener.ready and listener.finished and listener.notice is None
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Onset", "Heard"], kinds
    assert events[0].at >= 5.0 and events[1].option == "ask_first" and events[1].offer == 0


def test_with_no_microphone_there_is_one_notice_and_no_crash(monkeypatch):
    listener = Listener(MicrophoneSource(device="no such device here"))
    try:
        events = listener.wait(60.0)
    finally:
        listener.close()
    notices = [e for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and notices[0].text.startswith("Spoken answers are off: ")
    assert listener.finished and listener.notice == notices[0].text


@needs_espeak
def test_speech_before_any_options_are_offered_is_heard_as_nothing(tmp_path):
    ear = Ear()
    ear.use([], 0)
    events = hear(ear, speech(tmp_path, "I'll refund one of the payments."), [])
    assert [type(e).__name__ for e in events] == ["Onset", "Heard"] and events[1].option is None
