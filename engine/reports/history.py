"""Reading a saved run's history, and the error a run folder that cannot be used raises. Plain
Python (no array library): `nntui report` reads runs without loading NumPy or the trainer."""

from __future__ import annotations

import csv
from pathlib import Path

from ..columns import HISTORY_FIELDS, REGRESSION_FIELDS, ROW_FIELDS


class RunFolderError(OSError):
    """The run folder cannot be used or written (the message names it and says what to do)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def read_history(folder: Path) -> list[dict]:
    """history.csv as dicts of numbers (None where empty, and for the other task's columns). Its
    header is a classification run's or a regression run's. A file that is not a history (no
    header, binary, a bad number) is a RunFolderError naming the file and line; a last line cut
    off mid-write (a run killed as it wrote) is left out."""
    path = Path(folder) / "history.csv"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RunFolderError(f"{path}: not UTF-8 text (byte {exc.start}): not a run's history") from None
    except OSError as exc:
        raise RunFolderError(f"{path}: cannot read: {exc.strerror or exc}") from None
    lines = text.splitlines()
    header = tuple(c.strip() for c in lines[0].split(",")) if lines else ()
    if header not in (HISTORY_FIELDS, REGRESSION_FIELDS):
        raise RunFolderError(f"{path}: line 1 must be the header {','.join(HISTORY_FIELDS)} (classification) or "
                             f"{','.join(REGRESSION_FIELDS)} (regression)")
    rows = []
    for n, values in enumerate(csv.reader(lines[1:]), 2):
        if not values:
            continue
        try:
            if len(values) != len(header):
                raise ValueError
            row = dict.fromkeys(ROW_FIELDS)
            row.update({k: (None if v == "" else int(v) if k == "epoch" else float(v)) for k, v in zip(header, values)})
            rows.append(row)
        except ValueError:
            if n == len(lines) and not text.endswith("\n"):   # the last line, cut off as it was written
                break
            raise RunFolderError(f"{path}: line {n} is not a history row ({len(header)} numbers: "
                                 f"{','.join(header)})") from None
    return rows
