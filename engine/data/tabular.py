"""Your own data in CSV files, read into arrays with errors that name the file, line and column
(NPZ archives: engine/data/npz.py).

CSV is read in chunks of lines: a plain chunk goes through numpy.loadtxt (_fast_chunk), and
only a chunk that fails is scanned cell by cell to say where, so that a million rows never turn
into a million Python lists at once (peak memory: the finished arrays plus one chunk)."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import math
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..memory import check_fits

MAX_CLASSES = 1000
FLOAT32_MAX = float(np.finfo(np.float32).max)
CHUNK_ROWS = 16384
#: NumPy's parser for plain chunks (the careful csv reading otherwise); tests turn it off to compare
FAST = True
MAX_INFERRED_CLASSES = 50   # an all-integer numeric target with more distinct values is regression


@dataclass
class Table:
    x: np.ndarray
    y: np.ndarray                  # int64 class codes, or float32 (n, k) for regression
    task: str
    class_names: list[str]
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    image_shape: tuple[int, int] | None = None
    feature_names: list[str] | None = None


def _count_lines(path: Path) -> tuple[int, int]:
    """(an upper bound on the rows, the text's size in bytes), in a cheap binary pass: line ends
    of any kind (\\n, \\r\\n and a lone \\r all count)."""
    opener = gzip.open if path.suffix == ".gz" else open
    n, size = 1, 0
    with opener(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n") + block.count(b"\r")
            size += len(block)
    return n, size


def _open_text(path: Path):
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    # utf-8-sig: a byte-order mark (Excel's CSV) is not part of the first column's name
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _is_number(text: str) -> bool:
    """A number as a data file writes one: Python's float() also takes '1_000', CSV does not."""
    if "_" in text:
        return False
    try:
        float(text)
        return True
    except ValueError:
        return False


def _bad_cell(path, rows, lines, names, columns):
    """The first cell of a chunk that is not a finite number, as a DataError."""
    for row, line in zip(rows, lines):
        for c in columns:
            value = row[c].strip()
            where = f"{path}: line {line}, column {c + 1} ({names[c]})"
            if value == "":
                return DataError(f"{where}: missing value")
            if "_" in value:
                return DataError(f"{where}: not a number: {value!r} (write numbers without '_')")
            try:
                number = float(value)
            except ValueError:
                return DataError(f"{where}: not a number: {value!r}")
            if not math.isfinite(number):
                return DataError(f"{where}: not a finite number: {value!r}")
            if abs(number) > FLOAT32_MAX:
                return DataError(f"{where}: {value!r} is too large for float32 (at most {FLOAT32_MAX:.3g})")
    return DataError(f"{path}: a value in lines {lines[0]}-{lines[-1]} is not a number")


def read_csv(path: str | Path, target: str | int = -1, header: str = "auto", delimiter: str = ",",
             task: str = "auto") -> Table:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        with _open_text(path) as fh:
            return _read_csv(path, fh, target, header, delimiter, task)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{path}: cannot read: {exc} (a damaged or incomplete file?)") from None
    except csv.Error as exc:
        raise DataError(f"{path}: not valid CSV: {exc}") from None


def _read_csv(path, fh, target, header, delimiter, task) -> Table:
    reader = csv.reader(fh, delimiter=delimiter)
    first = next((row for row in reader if row), None)
    if first is None:
        raise DataError(f"{path}: the file is empty")
    first_line = reader.line_num
    ncols = len(first)
    second = next((row for row in reader if row), None)
    second_line = reader.line_num
    if header == "auto":
        # A header row has text where the data below it has numbers (a text target column has
        # text in every row); with no second row to compare, any text means a header.
        if second is None or len(second) != ncols:
            has_header = not all(_is_number(v) for v in first)
        else:
            has_header = any(not _is_number(a) and _is_number(b) for a, b in zip(first, second))
    else:
        has_header = header == "yes"
    names = [v.strip() for v in first] if has_header else [f"column {i + 1}" for i in range(ncols)]
    if ncols < 2:
        raise DataError(f"{path}: line {first_line} has {ncols} column; a dataset needs features and a target")
    t = _target_index(path, target, names, has_header, ncols)
    features = [c for c in range(ncols) if c != t]

    # One preallocated array, filled chunk by chunk: the peak is the result plus one chunk. A data
    # row has at least one character and a delimiter per column, which bounds the rows by the
    # file's size too (a million blank lines under 20,000 columns do not ask for 80 GB).
    n_lines, size = _count_lines(path)
    bound = min(n_lines, size // (2 * ncols - 1) + 1)
    check_fits(bound * len(features) * 4, f"{path}: {bound:,} rows of {len(features):,} features")
    x = np.empty((bound, len(features)), np.float32)
    y_parts = []
    numeric_target = None
    pending = [] if has_header else [(first, first_line)]
    rows_seen = 0
    if second is not None:
        if len(second) != ncols:
            raise DataError(f"{path}: line {second_line} has {len(second)} fields, expected {ncols} "
                            f"(as on line {first_line})")
        pending.append((second, second_line))

    def flush(chunk):
        nonlocal numeric_target
        rows = [r for r, _ in chunk]
        lines = [ln for _, ln in chunk]
        feats = [[r[c] for c in features] for r in rows]
        if "_" in "".join(map("".join, feats)):   # NumPy, like float(), would read '1_000'
            raise _bad_cell(path, rows, lines, names, features)
        try:
            with np.errstate(over="ignore"):   # values beyond float32 become inf, reported below
                block = np.array(feats, dtype=np.float32)
        except ValueError:
            raise _bad_cell(path, rows, lines, names, features) from None
        if not np.isfinite(block).all():
            raise _bad_cell(path, rows, lines, names, features)
        col = [r[t].strip() for r in rows]
        for value, line in zip(col, lines):
            if value == "":
                raise DataError(f"{path}: line {line}, column {t + 1} ({names[t]}): missing target value")
        if numeric_target is None:  # decided by the first chunk; text later on is reported by line
            numeric_target = all(_is_number(v) for v in col)
        if numeric_target:
            try:
                values = np.array(col, dtype=np.float64)
            except ValueError:
                raise _bad_cell(path, rows, lines, names, [t]) from None
            if not np.isfinite(values).all():
                raise _bad_cell(path, rows, lines, names, [t])
            y_parts.append(values)
        else:
            y_parts.append(np.array(col))
        x[rows_seen:rows_seen + len(block)] = block

    def careful(lines, offset: int) -> None:
        """The csv module's reading, row by row, of ``lines`` (physical lines after ``offset``):
        what quoted fields need, and what names a bad row or cell exactly."""
        rows = csv.reader(lines, delimiter=delimiter)
        for row in rows:
            if not row:
                continue
            line = offset + rows.line_num
            if len(row) != ncols:
                raise DataError(f"{path}: line {line} has {len(row)} fields, expected {ncols} "
                                f"(as on line {first_line})")
            pending.append((row, line))
            if len(pending) >= CHUNK_ROWS:
                flush_pending()
        flush_pending()

    def flush_pending() -> None:
        nonlocal pending, rows_seen
        if pending:
            flush(pending)
            rows_seen += len(pending)
            pending = []

    flush_pending()                      # the first rows, read above: their chunk decides the target's kind
    line = reader.line_num
    while True:
        lines = list(itertools.islice(fh, CHUNK_ROWS))
        if not lines:
            break
        if any('"' in ln for ln in lines):     # quoted fields (perhaps over several lines): the rest carefully
            careful(itertools.chain(lines, fh), line)
            break
        fast = _fast_chunk(lines, delimiter, ncols, t, features, numeric_target) if FAST else None
        if fast is None:                       # something to name exactly (or only the careful reading accepts)
            careful(lines, line)
        else:
            block, col = fast
            x[rows_seen:rows_seen + len(block)] = block
            y_parts.append(col)
            rows_seen += len(block)
        line += len(lines)
    if rows_seen == 0:
        raise DataError(f"{path}: no data rows after the header")
    x = x[:rows_seen]
    y_raw = np.concatenate(y_parts) if len(y_parts) > 1 else y_parts[0]
    y, resolved, classes = _targets(path, y_raw, numeric_target, task, names[t])
    return Table(x, y, resolved, classes, feature_names=[names[c] for c in features])


def _fast_chunk(lines: list[str], delimiter: str, ncols: int, t: int, features: list[int], numeric_target: bool):
    """A chunk of plain lines (no quotes) through NumPy's own parser: (features as float32, the
    target column), or None when anything is off (a cell that is not a finite float32 number,
    a row of another length, a blank-looking line, a '_' in a number), for the careful reading
    to accept or to name exactly. Never a different result: tests/test_csv_fast.py compares both."""
    kept = [ln for ln in lines if ln not in ("\n", "\r\n", "\r", "")]     # csv skips empty lines only
    if not kept or "_" in "".join(kept) or any(ln.count(delimiter) != ncols - 1 for ln in kept):
        return None
    try:
        with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cells = np.loadtxt(kept, delimiter=delimiter, dtype=np.float64, comments=None, ndmin=2,
                               quotechar=None, usecols=None if numeric_target else features)
    except ValueError:
        return None
    if cells.shape != (len(kept), ncols if numeric_target else len(features)):
        return None
    if not np.isfinite(cells).all() or np.abs(cells).max(initial=0.0) > FLOAT32_MAX:
        return None
    if numeric_target:
        return cells[:, features].astype(np.float32), cells[:, t].copy()
    col = [ln.rstrip("\r\n").split(delimiter)[t].strip() for ln in kept]
    if "" in col:
        return None
    return cells.astype(np.float32), np.array(col)


def _target_index(path, target, names, has_header, ncols) -> int:
    if isinstance(target, int):
        if not -ncols <= target < ncols:
            raise DataError(f"{path}: data.target {target} is not a column: the file has columns 0..{ncols - 1}")
        return target % ncols
    if target.lstrip("-").isdigit() and target not in names:
        return _target_index(path, int(target), names, has_header, ncols)
    if not has_header:
        raise DataError(f"{path}: data.target {target!r} names a column, but the file has no header row")
    if target not in names:
        raise DataError(f"{path}: data.target {target!r} is not a column; columns: {', '.join(names)}")
    return names.index(target)


def _format_class(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _targets(path, y_raw: np.ndarray, numeric: bool, task: str, column: str):
    """(y, task, class names) from a target column; classification unless told or clearly continuous."""
    if numeric:
        integral = bool(np.all(np.mod(y_raw, 1) == 0))
        distinct = np.unique(y_raw)
        if task == "auto":
            task = "classification" if integral and len(distinct) <= MAX_INFERRED_CLASSES else "regression"
        if task == "regression":
            return y_raw.astype(np.float32).reshape(-1, 1), "regression", []
        names = [_format_class(v) for v in distinct]
        codes = np.searchsorted(distinct, y_raw)
    else:
        if task == "regression":
            bad = str(next(v for v in y_raw if not _is_number(v)))
            raise DataError(f"{path}: column {column!r} holds text ({bad!r}), which regression cannot predict")
        distinct, codes = np.unique(y_raw, return_inverse=True)
        names = [str(v) for v in distinct]
        task = "classification"
    _check_classes(path, len(names), column, names)
    return codes.astype(np.int64), task, names


def _check_classes(path, k, column, names):
    if k < 2:
        raise DataError(f"{path}: the target column {column!r} has a single class ({names[0]!r}): "
                        "nothing to learn")
    if k > MAX_CLASSES:
        raise DataError(f"{path}: the target column {column!r} has {k:,} distinct values: more than "
                        f"{MAX_CLASSES:,} classes. Is it the right column (data.target)? For a numeric "
                        "target, set data.task = \"regression\".")
