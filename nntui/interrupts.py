"""The command line's one rule for stop signals: the first Ctrl+C (or SIGTERM, or SIGHUP when an
SSH connection drops) asks the work to stop at its next safe point; the second quits at once."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

#: the signals that stop a run; SIGHUP only where the platform has it
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class StopSignals:
    """``with StopSignals(on_first, message) as stops:`` calls ``on_first(name)`` on the first stop
    signal (after printing ``message``, if the terminal is still there) and raises
    KeyboardInterrupt on the second, or calls ``on_again(count)`` instead when given (a parent
    that passes signals on to its children). ``stops`` lists the signals' names; the previous
    handlers come back on exit."""

    def __init__(self, on_first: Callable[[str], None], message: str | None = None,
                 on_again: Callable[[int], None] | None = None, signals: tuple = STOP_SIGNALS):
        self.on_first, self.message, self.on_again, self.signals = on_first, message, on_again, signals
        self.stops: list[str] = []
        self._previous: dict = {}

    def _handle(self, signum, frame) -> None:
        name = signal.Signals(signum).name
        self.stops.append(name)
        if len(self.stops) > 1:
            if self.on_again is None:
                raise KeyboardInterrupt
            self.on_again(len(self.stops))
            return
        self.on_first(name)
        if self.message:
            try:   # after SIGHUP the terminal may be gone
                print(f"\n{name}: {self.message}", file=sys.stderr, flush=True)
            except (OSError, ValueError):
                pass

    def __enter__(self) -> "StopSignals":
        self._previous = {s: signal.signal(s, self._handle) for s in self.signals}
        return self

    def __exit__(self, *exc) -> None:
        for s, h in self._previous.items():
            signal.signal(s, h)
