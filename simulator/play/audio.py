"""Playing the customer's lines through pygame's mixer, or saying once why there is no sound.

With no audio device the mixer cannot start; the window then shows captions only, with one
notice, and nothing else changes.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import pygame

__all__ = ["Playback", "quiet_stderr"]


class Playback:
    def __init__(self, enabled: bool = True):
        self.notice: str | None = None
        self.ready = False
        self._sound = None
        if not enabled:
            return
        try:
            with quiet_stderr():
                pygame.mixer.init()
            self.ready = True
        except pygame.error:
            self.notice = "No audio device found: captions only."

    def play(self, path: Path) -> float | None:
        """Start a WAV; returns its length in seconds, or None if it cannot be played."""
        if not self.ready:
            return None
        self.stop()
        try:
            self._sound = pygame.mixer.Sound(str(path))
        except (pygame.error, FileNotFoundError):
            return None
        self._sound.play()
        return self._sound.get_length()

    def stop(self) -> None:
        if self._sound is not None:
            self._sound.stop()
            self._sound = None

    def close(self) -> None:
        self.stop()
        if self.ready:
            pygame.mixer.quit()
            self.ready = False


@contextmanager
def quiet_stderr():
    """ALSA prints a page of C-level errors when there is no sound card; the notice says it in one line."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (e.g. captured): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
