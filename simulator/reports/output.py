"""Where a report goes: stdout for '-', else written to FILE.part and renamed over FILE once
complete, so a failed report never leaves half a file behind. Only this module opens an
instructor's output files; the renderers return text or bytes, or write to the stream."""
from __future__ import annotations

import sys
from contextlib import contextmanager

from simulator.files import replacing

__all__ = ["output"]


@contextmanager
def output(path: str, binary: bool):
    """A stream for the report: stdout for '-', else FILE.part renamed over FILE once complete.
    Only a regular file is ever replaced (never a symlink, a device or a folder)."""
    if path == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    with replacing(path, binary=binary) as fh:
        yield fh
