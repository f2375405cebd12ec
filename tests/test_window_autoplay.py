"""The real window driven end to end by `defuse play --autoplay`, under SDL's dummy drivers
(set in conftest): screenshots, the stored session, interruption by timing, bad ids."""
from __future__ import annotations

import os

import pygame
import pytest

from simulator.actions import Action
from simulator.play.window import DEFAULT_SIZE
from simulator.store import Store

pytestmark = pytest.mark.window

BY_THE_BOOK = "breathe_listen,keep_listening,paraphrase,apologize,ask_cause,found_it,confirm,process,follow_up,log_it,think_back"


def sessions():
    with Store(os.environ["DEFUSE_DB"]) as store:
        return list(store.find())


def test_autoplay_plays_the_scenario_and_saves_a_screenshot_per_turn(cli, tmp_path):
    shots = tmp_path / "shots"
    status, out, err = cli("play", "billing_double_charge", "--autoplay", BY_THE_BOOK, "--screenshots", str(shots), "--trainee", "Sam")
    assert status == 0, err
    assert out == ""
    names = sorted(p.name for p in shots.iterdir())
    assert set(names) == {f"turn-{i:02d}.png" for i in range(1, 12)} | {"debrief.png"}
    images = {n: pygame.image.load(str(shots / n)) for n in names}
    assert all(img.get_size() == DEFAULT_SIZE for img in images.values())
    # each turn shows a different moment of the conversation, not one frame saved twelve times
    raw = {n: pygame.image.tobytes(img, "RGB") for n, img in images.items()}
    assert len(set(raw.values())) == len(raw)
    [session] = sessions()
    assert session.complete and session.trainee == "Sam" and session.mode == "autoplay"
    assert [t.choice for t in session.turns] == BY_THE_BOOK.split(",")
    assert session.outcome.value == "resolved" and session.passed
    assert not any(t.interrupted for t in session.turns)


def test_a_bang_answers_while_the_customer_is_still_speaking(cli, tmp_path):
    status, _, err = cli("play", "billing_double_charge", "--autoplay", "quick_see!,her_side", "--trainee", "Sam")
    assert status == 0, err
    [session] = sessions()
    first = session.turns[0]
    assert first.interrupted and Action.INTERRUPT in first.actions
    assert first.elapsed is not None and first.elapsed < 1.0


def test_the_same_answer_after_the_line_is_not_an_interruption(cli):
    # (not "I see": to a tape-recorder caller that breaks the vent whenever it is said)
    status, _, err = cli("play", "billing_double_charge", "--autoplay", "her_side", "--trainee", "Sam")
    assert status == 0, err
    [session] = sessions()
    assert not session.turns[0].interrupted and "interrupt" not in [a.value for a in session.turns[0].actions]
    assert session.turns[0].elapsed > 3.0  # the whole opening line was said first


def test_an_unknown_option_id_is_one_clear_line_and_status_1(cli, tmp_path):
    shots = tmp_path / "shots"
    status, out, err = cli("play", "billing_double_charge", "--autoplay", "breathe_listen,shout_back", "--screenshots", str(shots))
    assert status == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "shout_back" in lines[0] and "keep_listening" in lines[0]
    assert "Traceback" not in err
    [session] = sessions()
    assert len(session.turns) == 1 and not session.complete  # what was played is kept


def test_no_save_leaves_the_database_untouched(cli, tmp_path):
    status, _, err = cli("play", "billing_double_charge", "--autoplay", "cut_in!,her_side", "--no-save", "--trainee", "Sam")
    assert status == 0, err
    assert not os.path.exists(os.environ["DEFUSE_DB"]) or sessions() == []


def test_unknown_scenario_is_rejected_without_a_traceback(cli):
    status, out, err = cli("play", "no_such_scenario", "--autoplay", "a")
    assert status == 1 and out == ""
    assert "no_such_scenario" in err and "Traceback" not in err


def test_text_size_changes_the_picture_but_not_the_window(cli, tmp_path):
    pictures = []
    for scale in ("0.8", "1.6"):
        shots = tmp_path / scale
        status, _, err = cli("play", "billing_double_charge", "--autoplay", "breathe_listen", "--screenshots", str(shots), "--text-size", scale, "--no-save")
        assert status == 0, err
        img = pygame.image.load(str(shots / "turn-01.png"))
        assert img.get_size() == DEFAULT_SIZE
        pictures.append(pygame.image.tobytes(img, "RGB"))
    assert pictures[0] != pictures[1]


@pytest.mark.slow
def test_autoplay_needs_no_display_at_all(tmp_path):
    """A CI box with no X, no Wayland and no SDL driver set still gets its screenshots."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "SDL_AUDIODRIVER", "DISPLAY", "WAYLAND_DISPLAY")}
    shots = tmp_path / "shots"
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "play", "billing_double_charge", "--autoplay", "cut_in!,her_side", "--screenshots", str(shots), "--trainee", "Ci"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert sorted(p.name for p in shots.iterdir()) == ["debrief.png", "turn-01.png", "turn-02.png"]
