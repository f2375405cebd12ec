"""The trainee's profile: one file for both front ends, one name rule, and the old files migrated."""
from __future__ import annotations

import io
import json
import os
import time
from argparse import Namespace
from pathlib import Path

import pytest

from simulator.play.profile import MAX_NAME, Profile, clean_name, clean_text_size, load_profile, profile_path, save_profile


def config() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "defuse"


def test_the_profile_lives_in_the_user_config_folder():
    assert profile_path() == config() / "profile.json"
    assert load_profile() == Profile()  # nothing remembered yet, and nothing written by looking
    assert not profile_path().exists()


def test_one_name_rule_printable_collapsed_and_at_most_sixty_characters():
    assert clean_name("  Ann \t  Lee\x1b[2J ") == "Ann Lee[2J"
    assert clean_name("\x00\x07 ") is None and clean_name("") is None and clean_name(42) is None
    long = "A" * 59 + " " + "B" * 10
    assert clean_name(long) == "A" * 59  # cut at the limit, never ending in a space
    assert len(clean_name("x" * 500)) == MAX_NAME == 60


def test_saved_values_are_merged_cleaned_and_survive_a_reload():
    assert save_profile(trainee="  Ann  Lee ")
    assert save_profile(microphone=3, text_size=9.0)
    assert load_profile() == Profile(trainee="Ann Lee", microphone="3", text_size=2.0)
    assert save_profile(text_size=None)  # None forgets a value
    doc = json.loads(profile_path().read_text())
    assert doc == {"trainee": "Ann Lee", "microphone": "3"}
    with pytest.raises(TypeError):
        save_profile(colour="red")


def test_text_size_is_kept_within_the_windows_range():
    assert clean_text_size(1.26) == 1.3 and clean_text_size(0.1) == 0.7 and clean_text_size(5) == 2.0
    assert clean_text_size("big") is None and clean_text_size(float("nan")) is None and clean_text_size(True) is None


def test_a_damaged_file_means_nothing_remembered_and_unknown_keys_are_kept():
    config().mkdir(parents=True)
    profile_path().write_text("{not json")
    assert load_profile() == Profile()
    profile_path().write_text(json.dumps({"trainee": ["not", "a", "name"], "text_size": "huge", "future": {"x": 1}}))
    assert load_profile() == Profile()
    assert save_profile(trainee="Bo")
    assert json.loads(profile_path().read_text()) == {"trainee": "Bo", "future": {"x": 1}}


def test_an_unwritable_folder_never_stops_play(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert save_profile(blocked / "profile.json", trainee="Ann") is False
    assert load_profile(blocked / "profile.json") == Profile()


def test_the_old_window_and_terminal_files_are_migrated_newest_name_first():
    config().mkdir(parents=True)
    window, terminal = config() / "window.json", config() / "trainee.json"
    window.write_text(json.dumps({"trainee": "Window Name", "microphone": "USB mic"}))
    terminal.write_text(json.dumps({"trainee": "Terminal Name " + "x" * 80}))  # the old terminal allowed more
    past = time.time() - 60
    os.utime(window, (past, past))  # the terminal's file is the newer one
    assert load_profile() == Profile(trainee=clean_name("Terminal Name " + "x" * 80), microphone="USB mic")
    assert not window.exists() and not terminal.exists()  # one file from now on
    assert json.loads(profile_path().read_text())["microphone"] == "USB mic"


def test_saving_before_loading_still_migrates_the_old_values():
    config().mkdir(parents=True)
    (config() / "window.json").write_text(json.dumps({"trainee": "Ana", "microphone": "2"}))
    assert save_profile(text_size=1.4)
    assert load_profile() == Profile(trainee="Ana", microphone="2", text_size=1.4)
    assert not (config() / "window.json").exists()


def test_a_name_given_in_the_terminal_is_the_windows_name_too(tmp_path):
    """Both front ends read and write the one profile: asked once, whichever comes first."""
    from simulator.cli import build_parser
    from playthrough import play_in_terminal as play

    from simulator.library import Library
    from simulator.play.text_console import Console, LineReader
    from simulator.play.text_view import Style
    from simulator.play.window import App

    r, w = os.pipe()
    os.write(w, b"  Ann   Lee  \nq\n")
    os.close(w)
    args = Namespace(scenario=None, text=True, debug=False, trainee=None, protocol=None, seed=0, no_save=True,
                     db=str(tmp_path / "s.db"), scenarios=[], pace=0.0)
    out = io.StringIO()
    assert play(args, Console(LineReader(r), out, Style())) == 0
    os.close(r)
    assert load_profile().trainee == "Ann Lee"
    app = App(build_parser().parse_args(["play", "--no-speech", "--no-save"]), Library(), None, autoplaying=True)
    try:
        assert app.trainee == "Ann Lee"
        app.pending_scenario = None
        app.set_trainee("Bo \x1b Bell" + "l" * 100)  # the window's own entry follows the same rule
    finally:
        app.close()
    assert load_profile().trainee == clean_name("Bo \x1b Bell" + "l" * 100)
    assert len(load_profile().trainee) == MAX_NAME


@pytest.mark.parametrize("typed", ["  Ann \t Lee ", "Zoë\u200b O'Neil", "x" * 60, "y" * 61, "\x1b[2Jname", "   "])
def test_the_command_lines_trainee_follows_the_same_name_rule(typed):
    """--trainee rejects what the profile would cut (a command line says so rather than guess)."""
    import argparse

    from simulator.cli_common import MAX_NAME as CLI_MAX_NAME, trainee_arg

    assert CLI_MAX_NAME == MAX_NAME
    try:
        given = trainee_arg(typed)
    except argparse.ArgumentTypeError:
        cleaned = clean_name(typed)
        assert cleaned is None or len(" ".join("".join(c for c in typed if c.isprintable()).split())) > MAX_NAME
    else:
        assert given == clean_name(typed)
