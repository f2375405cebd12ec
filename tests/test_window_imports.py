"""Importing the window's modules opens nothing: SDL starts only inside `run()`."""
from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.window


def test_importing_every_window_module_initialises_nothing():
    code = (
        "import pygame, simulator.play.window, simulator.play.scenes, simulator.play.speech, simulator.play.audio;"
        "import multiprocessing;"
        "print(pygame.get_init(), pygame.display.get_init(), pygame.mixer.get_init(), 'pyttsx3' in sys.modules,"
        " len(multiprocessing.active_children()))"
    )
    out = subprocess.run([sys.executable, "-c", "import sys;" + code], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    assert out == "False False None False 0"
