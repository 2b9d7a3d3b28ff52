"""The command line's start-up, with the garbage collector held back.

A command's imports make a few hundred thousand objects that live as long as the process; at
Python's default threshold (a young collection every 700 new objects, a full one every 100 of
those) the collector walked them over and over: 44 collections for `nntui report`, about 13 ms
of it, and 267 before the app's first frame, about 240 ms, in one slow phase of a 2-core Intel.
`nntui.cli.main` raises the threshold while a command starts (`hold`: collections still run, a
hundred times less often, so nothing piles up on a path that never settles); the long-lived work
restores it as it begins, with what start-up made frozen out of the collector's walks (`settle`),
and main restores it in any case as it returns (`release`). A brief command run as the program
freezes everything at its end, so that the interpreter's exit does not walk it (`leaving`).
Library use (`import engine`, `import nntui.app`) is not touched.
"""

from __future__ import annotations

import gc

#: the thresholds while a command starts
STARTING = (100_000, 1_000, 1_000)

_held: tuple[int, int, int] | None = None


def hold() -> None:
    """Collect rarely until `settle` (the CLI's first step)."""
    global _held
    if _held is None:
        _held = gc.get_threshold()
        gc.set_threshold(*STARTING)


def held() -> bool:
    return _held is not None


def settle() -> None:
    """The long-lived part begins (training, the app's event loop, a server): freeze what
    start-up made and collect as usual from here. Nothing where start-up was not held."""
    if _held is not None:
        gc.freeze()
        release()


def release() -> None:
    """Python's thresholds back, where nothing settled (a brief command, a bad input)."""
    global _held
    if _held is not None:
        gc.set_threshold(*_held)
        _held = None


def leaving() -> None:
    """The end of a brief command run as the program: freeze every object, so that the
    interpreter's last collection at exit does not walk them (`nntui report` took 33 ms to exit,
    7 with this). Only where every file the command wrote is closed by now: that collection is
    what would close a file left open in a reference cycle."""
    gc.freeze()
