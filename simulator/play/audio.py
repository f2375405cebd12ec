"""Playing the customer's lines through pygame's mixer, or saying once why there is no sound.

With no audio device the mixer cannot start; the window then shows captions only, with one
notice, and nothing else changes.
"""
from __future__ import annotations

from pathlib import Path

import pygame

__all__ = ["Playback"]


class Playback:
    def __init__(self, enabled: bool = True):
        self.notice: str | None = None
        self.ready = False
        self._sound = None
        if not enabled:
            return
        try:
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
