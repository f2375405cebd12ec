"""How fast the window answers a choice: frames and milliseconds from the trainee's key press
to the customer's next line on screen, the cost of one frame, and the frame cap.

Runs the real RolePlay screen under SDL's dummy video driver (no speech, no audio), plays
the bundled "Charged twice" scenario by the book, and prints one JSON object per line.
"""
from __future__ import annotations

import json
import os
import statistics
import time

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

CHOICES = ["breathe_listen", "keep_listening", "paraphrase", "apologize", "ask_cause", "found_it", "confirm", "process", "follow_up", "log_it", "think_back"]
ROUNDS = 20


def emit(figure, value, unit, note, peer=None, ratio=None):
    print(json.dumps({"figure": figure, "value": round(value, 4), "unit": unit, "peer": peer, "ratio": ratio, "note": note}))


def main() -> None:
    import tempfile

    import pygame

    from simulator.cli import build_parser
    from simulator.library import Library
    from simulator.play.widgets import Pick
    from simulator.play.window import DEFAULT_SIZE, App
    from simulator.store import Store

    os.environ["DEFUSE_DB"] = os.path.join(tempfile.mkdtemp(), "bench.sqlite3")
    args = build_parser().parse_args(["play", "billing_double_charge", "--no-speech", "--trainee", "bench"])
    pygame.init()
    surface = pygame.display.set_mode(DEFAULT_SIZE, pygame.RESIZABLE)
    app = App(args, Library(), Store(os.environ["DEFUSE_DB"]))  # the commit per turn is part of the figure
    entry = app.library.get("billing_double_charge")
    latencies, frames_needed, frame_costs = [], [], []
    for _ in range(ROUNDS):
        app.play(entry)
        scene = app.scene
        for oid in CHOICES:
            conv = scene.conversation
            app.now = conv.started_at + conv.duration + 0.1
            scene.update(1 / 60)
            scene.draw(surface)
            pygame.display.flip()
            number = [o.id for o in conv.options].index(oid) + 1
            t0 = time.perf_counter()
            scene.handle(Pick(number))  # what the number key does
            target = conv.node.line.id
            frames = 0
            while True:  # draw frames until the new line is the one on screen
                scene.update(1 / 60)
                t1 = time.perf_counter()
                scene.draw(surface)
                pygame.display.flip()
                frames += 1
                frame_costs.append(time.perf_counter() - t1)
                if scene.drawn_line == target:
                    break
            latencies.append(time.perf_counter() - t0)
            frames_needed.append(frames)
    # a speaking customer animates every frame: how many frames does the capped loop draw?
    app.play(entry)
    scene = app.scene
    clock = pygame.time.Clock()
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < 2.0:
        clock.tick(60)
        app.now = time.perf_counter() - t0
        scene.conversation.started_at = app.now  # keep the line "being said" so the frame animates
        scene.update(1 / 60)
        scene.draw(surface)
        pygame.display.flip()
        n += 1
    fps = n / (time.perf_counter() - t0)
    app.close()
    pygame.quit()

    lat = sorted(latencies)
    emit("window: frames from choice to next line", max(frames_needed), "frames", f"worst of {len(latencies)} choices (mean {statistics.mean(frames_needed):.2f})")
    emit("window: choice to next line on screen (median)", 1000 * statistics.median(lat), "ms", f"p95 {1000 * lat[int(0.95 * (len(lat) - 1))]:.2f} ms; engine step, SQLite commit of the turn and one frame, 1280x800, dummy driver")
    emit("window: one role-play frame (median)", 1000 * statistics.median(frame_costs), "ms", f"p95 {1000 * sorted(frame_costs)[int(0.95 * (len(frame_costs) - 1))]:.2f} ms; a 60 FPS budget is 16.7 ms")
    emit("window: frame rate while the customer speaks", fps, "fps", "clock.tick(60) caps it (pygame waits whole milliseconds, so 16 ms frames read as ~62)")


if __name__ == "__main__":
    main()
