"""Spoken and typed answers: how often the right option is picked, and how fast.

Every option of every bundled scenario is spoken by espeak-ng in two voices at two rates,
with half a second of quiet before and a second after, and fed frame by frame (as a
microphone would) through voice activity and pocketsphinx with the grammar of the options
at its node. Figures (one JSON object per line, see run_all.py):

- top-1 accuracy: the first answer heard is that option;
- wrong picks: an answer heard confidently as another option (the worst error);
- end of speech to choice, median and p95: from the last voiced sample to the decision,
  counting the pause the detector waits for and the decoder's finishing time;
- interruption onset: from the first voiced sample to the moment speech is certain;
- decoding speed: seconds of CPU per second of speech (under 1 keeps up with a microphone);
- typed answers: the paraphrase set in benchmarks/data/paraphrases.tsv (written for the
  purpose), correct picks and wrong picks; and nonsense lines that must pick nothing.

`--quick` takes one voice, one rate and every fourth node (a minute or two); `--every N`
takes both voices and rates at every N-th node of each scenario. The README's figures are
from the full run (every option of every node, about five minutes on a quiet machine).
Needs espeak-ng; without it the spoken figures are skipped with a note.
"""
from __future__ import annotations

import csv
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from simulator.library import Library
from simulator.play.answers import Verdict, match_answer
from simulator.play.listening.listener import Ear, Heard, Onset
from simulator.play.listening.source import RATE, SamplesSource, read_wav

HERE = Path(__file__).resolve().parent
VOICES = ("en-us", "en-us+f3")
RATES = (150, 185)
LEAD, TAIL = 0.6, 1.0
VOICED = 400  # a sample above this (of 32767) is speech, for the true start and end
NONSENSE = ("purple monkey dishwasher", "what time is the football on", "asdf qwerty", "the cat sat on the mat",
            "can you hear me now", "banana helicopter", "is it raining outside", "my password is hunter two")


def emit(figure: str, value, unit: str, note: str = "", peer=None, ratio=None) -> None:
    print(json.dumps({"figure": figure, "value": value, "unit": unit, "peer": peer, "ratio": ratio, "note": note}), flush=True)


def spoken(text: str, voice: str, rate: int, folder: Path) -> np.ndarray:
    path = folder / "said.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(path), text], check=True, capture_output=True)
    return read_wav(path)


def listen(ear: Ear, said: np.ndarray) -> tuple[list, float, float, float]:
    """Events for `said` after LEAD seconds of quiet; the true start and end; the CPU seconds spent."""
    audio = np.concatenate([np.zeros(int(LEAD * RATE), np.int16), said, np.zeros(int(TAIL * RATE), np.int16)])
    voiced = np.nonzero(np.abs(said) > VOICED)[0]
    start, end = LEAD + voiced[0] / RATE, LEAD + (voiced[-1] + 1) / RATE
    stream = SamplesSource(audio).open()
    events, last = [], 0.0
    t0 = time.process_time()
    while (got := stream.read()) is not None:
        last = got[0]
        events += ear.step(*got)
    events += ear.finish(last)
    return events, start, end, time.process_time() - t0


def speech_figures(quick: bool, every: int = 1) -> None:
    if shutil.which("espeak-ng") is None:
        emit("spoken answers: top-1 accuracy", None, "", "espeak-ng is not installed: no speech to measure")
        return
    library = Library()
    voices, rates = (VOICES[:1], RATES[:1]) if quick else (VOICES, RATES)
    every = 4 if quick else every
    ear = Ear()
    n = right = wrong = 0
    latencies, onsets = [], []
    cpu = speech = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for sid, entry in sorted(library.entries().items()):
            nodes = [nd for nd in entry.scenario.nodes if nd.options]
            for k, node in enumerate(nodes):
                if k % every:
                    continue
                options = [(o.id, o.text) for o in node.options]
                for oid, text in options:
                    for voice in voices:
                        for rate in rates:
                            ear.use(options, 1)
                            said = spoken(text, voice, rate, folder)
                            events, start, end, spent = listen(ear, said)
                            cpu += spent
                            speech += len(said) / RATE
                            heard = [e for e in events if isinstance(e, Heard)]
                            onset = next((e for e in events if isinstance(e, Onset)), None)
                            n += 1
                            first = heard[0] if heard else None
                            if first is not None and first.verdict is Verdict.CHOSEN:
                                if first.option == oid:
                                    right += 1
                                    latencies.append(first.decided - end + first.result.seconds)
                                else:
                                    wrong += 1
                            if onset is not None:
                                onsets.append(onset.detected - start)
    scope = f"{n} utterances: {len(voices)} voice(s) x {len(rates)} rate(s), " + (f"every option at every {every}th node" if every > 1 else "every option of every bundled scenario")
    emit("spoken answers: top-1 accuracy", round(100.0 * right / n, 1), "%", scope)
    emit("spoken answers: heard as another option", round(100.0 * wrong / n, 1), "%", "the rest were asked to repeat")
    emit("spoken answers: end of speech to choice, median", round(1000 * statistics.median(latencies), 0), "ms", f"p95 {1000 * float(np.percentile(latencies, 95)):.0f} ms")
    emit("spoken answers: interruption onset after speech starts, median", round(1000 * statistics.median(onsets), 0), "ms", f"p95 {1000 * float(np.percentile(onsets, 95)):.0f} ms, max {1000 * max(onsets):.0f} ms")
    emit("spoken answers: decoding CPU per second of speech", round(cpu / speech, 3), "s", "under 1 keeps pace with a microphone")


def typed_figures() -> None:
    library = Library()
    rows = [r for r in csv.reader((HERE / "data" / "paraphrases.tsv").open(encoding="utf-8"), delimiter="\t") if r and not r[0].startswith("#")]
    right = wrong = 0
    for sid, node, oid, text in rows:
        options = [(o.id, o.text) for o in library.get(sid).scenario.node(node).options]
        m = match_answer(text, options)
        if m.verdict is Verdict.CHOSEN:
            right += m.option == oid
            wrong += m.option != oid
    emit("typed answers: paraphrases matched to the right option", round(100.0 * right / len(rows), 1), "%", f"{len(rows)} paraphrases; wrong picks above the threshold: {wrong}")
    picked = 0
    cases = 0
    for entry in library.entries().values():
        for node in entry.scenario.nodes:
            if node.options:
                options = [(o.id, o.text) for o in node.options]
                for text in NONSENSE:
                    cases += 1
                    picked += match_answer(text, options).verdict is Verdict.CHOSEN
    emit("typed answers: nonsense taken as an option", round(100.0 * picked / cases, 2), "%", f"{len(NONSENSE)} unrelated lines at each of {cases // len(NONSENSE)} nodes")


def main() -> None:
    args = sys.argv[1:]
    quick = "--quick" in args
    every = int(args[args.index("--every") + 1]) if "--every" in args else 1
    typed_figures()
    speech_figures(quick, every)


if __name__ == "__main__":
    main()
