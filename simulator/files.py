"""Reading and writing the user's files without surprises: only regular files are read (a FIFO
or a device would block or never end), and an output only ever replaces a regular file,
atomically (FILE.part, then a rename), never a symlink, a device node or a folder.

This is shell code: the pure core never opens files.
"""
from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from .diagnostics import DefuseError

__all__ = ["open_regular", "check_output", "replacing", "FileError"]


class FileError(DefuseError):
    """A path that cannot be read or written as asked."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def open_regular(path: str | Path) -> BinaryIO:
    """The file opened for reading, or FileError: it must be a regular file (never blocks on a FIFO)."""
    name = str(path)
    if not name:
        raise FileError("an empty file name")
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise FileError(f"{name}: it does not exist") from None
    except OSError as e:
        raise FileError(f"{name}: cannot read it ({e.strerror or e})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise FileError(f"{name}: it is {_kind(mode)}, not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_output(path: str | Path) -> Path:
    """The output path if writing it can only create or replace a regular file, else FileError."""
    name = str(path)
    if not name:
        raise FileError("-o: an empty file name")
    target = Path(name)
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise FileError(f"cannot write {name}: {e.strerror or e}") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise FileError(f"cannot write {name}: it is {_kind(mode)}; an output only ever replaces a regular file")
    parent = target.parent
    if not parent.is_dir():
        raise FileError(f"cannot write {name}: the folder {parent} does not exist")
    return target


@contextmanager
def replacing(path: str | Path, binary: bool = True) -> Iterator:
    """A stream to FILE.part, renamed over FILE once complete (FILE must be absent or a regular file)."""
    target = check_output(path)
    part = target.with_name(target.name + ".part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(part, flags, 0o644)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise FileError(f"cannot write {path}: {part} is in the way and is not a regular file")
        os.set_blocking(fd, True)
    except OSError as e:
        raise FileError(f"cannot write {path}: {e.strerror or e}") from None
    fh = os.fdopen(fd, "wb") if binary else open(fd, "w", encoding="utf-8", newline="")
    try:
        with fh:
            yield fh
        check_output(target)  # nothing was swapped in while we wrote
        os.replace(part, target)
    except BaseException:
        try:
            os.unlink(part)
        except OSError:
            pass
        raise
