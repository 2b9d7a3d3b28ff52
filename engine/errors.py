"""The engine's error types: every bad input becomes one of these, never a traceback."""

from __future__ import annotations


class SpecError(ValueError):
    """Bad experiment input; the message names the field (``model.layers[2].units``) and what is allowed."""

    def __init__(self, field: str, message: str, source: str | None = None):
        self.field = field
        self.reason = message
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{field}: {message}" if field else f"{where}{message}")

    def with_source(self, source: str) -> "SpecError":
        """The same error, naming the file it came from."""
        return SpecError(self.field, self.reason, source)


class DataError(ValueError):
    """A dataset that cannot be read or does not verify; the message names the file."""


class BackendUnavailable(RuntimeError):
    """A backend was asked for where it cannot run (the message says why and what to do)."""


class WriteError(OSError):
    """A file could not be written (full disk, no permission): the message names the file."""

    def __init__(self, path, cause: OSError):
        self.path = str(path)
        self.cause = cause
        reason = cause.strerror or str(cause) or cause.__class__.__name__
        super().__init__(cause.errno, f"cannot write {self.path}: {reason}")
        self.filename = self.path

    def __str__(self) -> str:
        return self.strerror
