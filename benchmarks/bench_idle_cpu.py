"""How much CPU an idle window costs: the real event loop sitting on the picker and on a
conversation waiting for the trainee's answer (also while the voice is being prepared), against a naive loop that redraws at 60 FPS.

CPU share = process CPU time / wall time over a few seconds, under SDL's dummy drivers,
with speech off so only the window is measured. One JSON object per line.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

SECONDS = 3.0


def cpu_share(run) -> float:
    c0, w0 = time.process_time(), time.perf_counter()
    run()
    return 100.0 * (time.process_time() - c0) / (time.perf_counter() - w0)


def main() -> None:
    import pygame

    from simulator.cli import build_parser
    from simulator.library import Library
    from simulator.play import window

    os.environ["DEFUSE_DB"] = os.path.join(tempfile.mkdtemp(), "bench.sqlite3")
    args = build_parser().parse_args(["play", "--no-speech", "--no-save", "--trainee", "bench"])
    pygame.init()
    surface = pygame.display.set_mode(window.DEFAULT_SIZE, pygame.RESIZABLE)
    app = window.App(args, Library(), None)

    def loop_for(seconds):
        app.running = True
        threading.Timer(seconds, lambda: setattr(app, "running", False)).start()
        window._loop(pygame, app, surface)

    def idle_loop():
        loop_for(SECONDS)

    app.picker()
    loop_for(0.5)  # the first frame (fonts, card layout) is not idling: measure after it
    picker = cpu_share(idle_loop)

    app.play(app.library.get("billing_double_charge"))
    scene = app.scene
    # let the opening line finish and the gauge settle: the screen then waits for an answer
    scene.conversation.started_at = -100.0
    scene.update(10.0)
    loop_for(0.5)
    waiting = cpu_share(idle_loop)

    # the same, while the voice is still being prepared (or its engine is stuck): the status
    # line says so, and the loop draws only when that line changes
    app.speaker = _Preparing()
    preparing = cpu_share(idle_loop)
    app.speaker = None

    def naive():
        clock = pygame.time.Clock()
        end = time.perf_counter() + SECONDS
        while time.perf_counter() < end:
            pygame.event.get()
            scene.update(1 / 60)
            scene.draw(surface)
            pygame.display.flip()
            clock.tick(60)

    redraw = cpu_share(naive)

    def bare_wait():  # SDL's dummy driver has no event fd, so event.wait polls each millisecond
        end = time.perf_counter() + SECONDS
        while time.perf_counter() < end:
            pygame.event.wait(250)

    floor = cpu_share(bare_wait)
    app.close()
    pygame.quit()

    emit("window idle on the picker: CPU", picker, redraw)
    emit("window idle waiting for an answer: CPU", waiting, redraw)
    emit("window waiting for an answer while the voice is prepared (or stuck): CPU", preparing, redraw)
    print(json.dumps({
        "figure": "floor: a bare pygame.event.wait loop: CPU",
        "value": round(floor, 2),
        "unit": "% of a core",
        "peer": None,
        "ratio": None,
        "note": "what SDL's dummy driver costs while waiting; a real display driver blocks on its event fd instead",
    }))


class _Preparing:
    """A speech engine busy rendering lines, its progress not moving (a stuck one looks the same)."""

    available, notice, busy, progress = True, None, True, (3, 40)

    def poll(self):
        return []

    def close(self):
        pass


def emit(figure: str, value: float, peer_value: float) -> None:
    print(json.dumps({
        "figure": figure,
        "value": round(value, 2),
        "unit": "% of a core",
        "peer": "same screen redrawn every frame at 60 FPS",
        "ratio": round(peer_value / value, 1) if value > 0 else None,
        "note": f"peer uses {peer_value:.1f}% of a core; the idle loop sleeps in event.wait and draws only on change; 1280x800, dummy driver",
    }))


if __name__ == "__main__":
    main()
