"""Make the window's screenshots in the README and docs/ from the real screens.

    .venv/bin/python tools/window_screenshots.py docs/img

Off-screen (SDL's dummy driver), silent, on a simulated clock, with a throw-away session
database: the trainee Sam has played billing_double_charge twice before (so the picker
shows a best and a last score), then plays it by keyboard choices as a trainee would.
Writes roleplay.png, debrief.png, window-picker.png, window-leave.png and
window-large-text.png, each 1280x800.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import pygame  # noqa: E402
from playthrough import BY_THE_BOOK  # noqa: E402

SCENARIO = "billing_double_charge"
JUMPY = ["breathe_listen", "keep_listening", "jump_fix", "ask_now", "found_it", "just_do_it", "goodbye", "next_caller"]
SEED = 7


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DEFUSE_DB"] = str(Path(tmp) / "sessions.sqlite3")
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        _history()
        _shoot(out)
    return 0


def _history() -> None:
    """Two earlier sessions of Sam's, a day apart: a jumpy one, then one by the book."""
    from simulator.library import Library, protocol
    from simulator.session import Recorder
    from simulator.store import Store

    sc = Library().get(SCENARIO).scenario
    with Store(os.environ["DEFUSE_DB"]) as store:
        for day, choices in ((1, BY_THE_BOOK), (2, JUMPY)):
            rec = Recorder(sc, protocol(sc.protocol), trainee="Sam", seed=day, store=store, mode="window")
            for c in choices:
                rec.choose(c)
            with store.conn:
                store.conn.execute("UPDATE sessions SET started_at=? WHERE id=?", (f"2026-11-{day:02d}T09:00:00Z", rec.session_id))


def _shoot(out: Path) -> None:
    from simulator.cli import build_parser
    from simulator.play import window
    from simulator.play.widgets import Back, Pick

    pygame.init()
    try:
        surface = pygame.display.set_mode(window.DEFAULT_SIZE)
        args = build_parser().parse_args(["play", "--no-speech", "--trainee", "Sam", "--seed", str(SEED)])
        app = window.App(args)
        app.autoplaying = True  # nothing remembered from these runs

        def shot(name: str) -> None:
            app.scene.update(0.0)
            app.scene.draw(surface)
            pygame.image.save(surface, str(out / name))

        try:
            app.picker()
            app.scene.focus.index = [e.id for e in app.scene.entries].index(SCENARIO)
            shot("window-picker.png")

            app.play(app.library.get(SCENARIO))
            scene = app.scene
            conv = scene.conversation
            for oid in BY_THE_BOOK[:3]:  # answered once she has finished, each time
                app.now = conv.started_at + conv.duration + 0.05
                scene.update(0.0)
                scene.handle(Pick([o.id for o in conv.options].index(oid) + 1))
            app.now = conv.started_at + min(1.2, conv.duration * 0.5)  # mid-line: the caption is half out
            scene.draw(surface)
            second = scene.layout["options"][1]
            scene.pointer = second.center  # the mouse over the second answer
            shot("roleplay.png")

            scene.pointer = None
            app.text_scale = 2.0  # Ctrl + to the top: the window holds it to what fits
            app.now = conv.started_at + conv.duration + 0.05
            shot("window-large-text.png")
            app.text_scale = 1.0

            scene.handle(Back())  # Esc mid-conversation: asked first
            shot("window-leave.png")
            scene.handle(Back())

            for oid in BY_THE_BOOK[3:]:
                if conv.finished:
                    break
                app.now = conv.started_at + conv.duration + 0.05
                scene.update(0.0)
                scene.handle(Pick([o.id for o in conv.options].index(oid) + 1))
            app.debrief(scene.recorder)
            debrief = app.scene
            while debrief.protocol.id != "twelve_strategies":  # the longest protocol: every step shown
                debrief.switch(+1)
            shot("debrief.png")
        finally:
            app.close()
    finally:
        pygame.quit()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img")))
