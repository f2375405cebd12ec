"""The session store failing while a trainee plays in the window: an on-screen question (like Esc's)
says what failed and what was kept, Y goes on without saving (the conversation continues, nothing
further is written, the debrief says the session was not saved after turn N) and N stops there
(Defuse closes with the one line). Driven through the real event loop (dummy SDL drivers)."""
from __future__ import annotations

import pygame
import pytest

from playthrough import BY_THE_BOOK
from test_store_fault_play import disk_full_at_turn
from test_window_rough_edges import BILLING, Driver, key, stored_sessions

pytestmark = pytest.mark.window  # every test here opens the real window

LINE = "the session store failed at turn 3: database or disk is full; the 2 turns before it are saved, marked incomplete"


def answer(app, option_id: str) -> None:
    """Post the number key for this option once the customer has had her say (so it never cuts in)."""
    conv = app.scene.conversation
    conv.started_at = min(conv.started_at, app.now - 1000.0)
    conv.tail = None
    ids = [o.id for o in conv.options]
    n = ids.index(option_id) + 1
    pygame.event.post(key(getattr(pygame, f"K_{n}"), text=str(n)))


def play(driver: Driver) -> int:
    return driver.run(BILLING, "--no-speech", "--trainee", "Ana", "--seed", "0")


def test_going_on_without_saving_in_the_window(monkeypatch, capsys):
    disk_full_at_turn(monkeypatch, 3)
    seen = {}

    def script(app):
        scene = app.scene
        for oid in BY_THE_BOOK[:3]:
            answer(app, oid)
            yield
        # the third turn was taken; saving it failed: the question covers the options
        assert scene.question == "stop" and len(scene.recorder.state.turns) == 3
        seen["question"] = scene.layout["question"]
        seen["buttons"] = [b.label for b in scene.focus.buttons]
        pygame.event.post(key(pygame.K_1, text="1"))  # a number key does not answer under the question
        pygame.event.post(key(pygame.K_ESCAPE))  # nor does Esc dismiss it
        yield
        assert scene.question == "stop" and len(scene.recorder.state.turns) == 3
        pygame.event.post(key(pygame.K_y, text="y"))
        yield
        assert scene.question is None and scene.leaving is None
        assert [b.value for b in scene.focus.buttons] == [o.id for o in scene.conversation.options]
        for oid in BY_THE_BOOK[3:]:
            answer(app, oid)
            yield
        assert scene.conversation.finished
        pygame.event.post(key(pygame.K_RETURN))  # "See how you did"
        yield
        debrief = app.scene
        assert type(debrief).__name__ == "Debrief"
        seen["saved"] = debrief.layout["saved"]
        seen["passed"] = debrief.result.passed

    driver = Driver(monkeypatch, script)
    assert play(driver) == 0
    assert capsys.readouterr().err == ""  # the trainee was told on screen, and chose
    title, note = seen["question"]
    assert title == "The session store failed"
    assert " ".join(note).startswith("The session store failed at turn 3: database or disk is full; the 2 turns before it are saved, marked incomplete.")
    assert seen["buttons"] == ["Go on without saving", "Stop here (close Defuse)"]
    assert seen["saved"] == "Session not saved after turn 2: the session store failed (its first 2 turns are kept, marked incomplete)."
    assert seen["passed"] is True  # the whole conversation is debriefed
    [session] = stored_sessions()
    assert [t.choice for t in session.turns] == BY_THE_BOOK[:2]
    assert not session.complete and session.ended_at is None and session.total is None


def test_stopping_there_closes_the_window_with_the_one_line(monkeypatch, capsys):
    disk_full_at_turn(monkeypatch, 3)

    def script(app):
        scene = app.scene
        for oid in BY_THE_BOOK[:3]:
            answer(app, oid)
            yield
        assert scene.question == "stop" and scene.focus.index == 1  # the default is to stop, as the terminal's y/N
        pygame.event.post(key(pygame.K_n, text="n"))

    driver = Driver(monkeypatch, script)
    assert play(driver) == 1
    assert capsys.readouterr().err == f"defuse: {LINE}\n"
    [session] = stored_sessions()
    assert [t.choice for t in session.turns] == BY_THE_BOOK[:2] and not session.complete and session.ended_at is None


def test_a_scripted_run_cannot_be_asked_and_ends_with_the_one_line(monkeypatch, capsys, tmp_path):
    from simulator.cli import main

    disk_full_at_turn(monkeypatch, 3)
    db = tmp_path / "s.sqlite3"
    status = main(["play", BILLING, "--autoplay", ",".join(BY_THE_BOOK), "--db", str(db), "--trainee", "Ana", "--seed", "0"])
    assert status == 1
    assert capsys.readouterr().err == f"defuse: {LINE}\n"


def test_a_store_that_cannot_begin_the_session_asks_before_the_first_answer(monkeypatch, capsys):
    from test_store_fault_play import disk_full_at_begin

    disk_full_at_begin(monkeypatch)
    seen = {}

    def script(app):
        scene = app.scene
        yield
        # nothing is saved, and the question is up before any answer
        assert scene.question == "stop" and scene.recorder.state.turns == ()
        seen["question"] = scene.layout["question"]
        pygame.event.post(key(pygame.K_y, text="y"))
        yield
        assert scene.question is None
        for oid in BY_THE_BOOK:
            answer(app, oid)
            yield
        pygame.event.post(key(pygame.K_RETURN))  # "See how you did"
        yield
        seen["saved"] = app.scene.layout["saved"]

    driver = Driver(monkeypatch, script)
    assert play(driver) == 0
    assert capsys.readouterr().err == ""
    title, note = seen["question"]
    assert " ".join(note).startswith("The session store failed as the session began: database or disk is full; nothing of it is saved.")
    assert seen["saved"] == "Session not saved: the session store failed as it began."
    assert stored_sessions() == []


def test_a_scripted_run_whose_session_cannot_begin_ends_with_the_one_line(monkeypatch, capsys, tmp_path):
    from simulator.cli import main
    from test_store_fault_play import disk_full_at_begin

    disk_full_at_begin(monkeypatch)
    status = main(["play", BILLING, "--autoplay", ",".join(BY_THE_BOOK), "--db", str(tmp_path / "s.sqlite3"), "--trainee", "Ana", "--seed", "0"])
    assert status == 1
    assert capsys.readouterr().err == "defuse: the session store failed as the session began: database or disk is full; nothing of it is saved\n"
