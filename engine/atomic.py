"""Atomic file writes: a temporary file beside the target, then a rename, so a crash never leaves
half a file. A failed write (a full disk, a read-only folder) raises WriteError naming the file;
the file that was there before is left as it was."""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path
from typing import IO, Callable

from .errors import WriteError

_umask_lock = threading.Lock()


def _umask() -> int:
    """The process's umask (reading it means setting it, so under a lock)."""
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give a new file: 0666 less the umask."""
    return 0o666 & ~_umask()


def write_atomic(path: str | os.PathLike, write: Callable[[IO[bytes]], None], sync: bool = True) -> Path:
    """Call ``write(fileobj)`` on a temporary file in the target's folder and rename it over ``path``.
    ``sync``: the data reaches the disk before the rename (fsync), so that a power cut leaves the
    old file or the new one; without it a crash of the process still does (the rename is atomic),
    and the operating system writes the data out in its own time."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WriteError(path, exc) from None
    try:
        try:
            os.fchmod(fd, file_mode())     # mkstemp makes 0600; the user's files follow the umask
        except (AttributeError, OSError):  # no fchmod (Windows) or a file system without modes
            pass
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError(path, exc) from None
        raise
    return path


def link_atomic(source: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Make ``path`` a copy of the file ``source`` atomically: a hard link where the file system
    has them (no data is written: a later replacement of ``source`` leaves ``path`` as it is), else
    a copy of its bytes."""
    source, path = Path(source), Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.link")
    try:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.link(source, tmp)
        os.replace(tmp, path)
        return path
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    data = source.read_bytes()
    return write_atomic(path, lambda fh: fh.write(data))


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    return write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))


def folder_name(name: str, fallback: str = "run") -> str:
    """``name`` as one safe folder name: letters, digits, '.', '_' and '-' only (path separators,
    '..', spaces and control characters become '-'), no leading dot, at most 100 characters."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name)
    safe = re.sub(r"\.{2,}", "-", safe)
    safe = re.sub(r"-{2,}", "-", safe).strip("-.")[:100].strip("-.")
    return safe or fallback


def file_text(path) -> str | None:
    """A file's text, or None where it cannot be read (what is saved from it is then written in full)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
