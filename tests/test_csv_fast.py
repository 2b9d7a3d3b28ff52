"""The CSV reader's fast path (NumPy's parser on plain chunks) against its careful path (the
csv module, cell by cell), on thousands of small generated files: the same arrays, or the same
error naming the same line and column."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.data import tabular
from engine.errors import DataError

EXAMPLES = int(os.environ.get("NNTUI_CSV_FUZZ_EXAMPLES", "1000"))

numbers = st.one_of(st.integers(-10**6, 10**6).map(str), st.floats(-1e6, 1e6, allow_nan=False).map(repr),
                    st.floats(width=32, allow_nan=False, allow_infinity=False).map(lambda f: f"{f:.7g}"),
                    st.sampled_from(["0", "-0", "+4", ".5", "5.", "1e3", "1E-3", " 2.5", "3 ", "\t7"]))
oddities = st.sampled_from(["", "abc", "1_000", "inf", "-inf", "nan", "NaN", "1e39", "-3.5e38", "0x10",
                            "1,5", '"1"', '"a,b"', "#3", "1e", "--1", " ", "cat", "dog", "é"])
cells = st.one_of(numbers, numbers, numbers, oddities)
labels = st.one_of(numbers, st.sampled_from(["cat", "dog", "bird", " cat", "x y"]))


@st.composite
def csv_files(draw):
    ncols = draw(st.integers(2, 5))
    text_labels = draw(st.booleans())
    header = draw(st.booleans())
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    clean = draw(st.integers(0, 9)) < 6          # most files are valid: the paths must agree on the arrays
    lines = [delimiter.join(f"c{i}" for i in range(ncols))] if header else []
    for _ in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["row"] * 12 + (["blank"] if clean else ["blank", "spaces", "short", "long"])))
        if kind == "blank":
            lines.append("")
            continue
        if kind == "spaces":
            lines.append("  ")
            continue
        n = ncols + {"row": 0, "short": -1, "long": 1}[kind]
        row = [draw(numbers) if clean else draw(cells) if draw(st.integers(0, 9)) else draw(oddities)
               for _ in range(n - 1)]
        row.append(draw(st.sampled_from(["cat", "dog"])) if text_labels else draw(labels))
        lines.append(delimiter.join(row))
    text = end.join(lines) + draw(st.sampled_from(["", end]))
    return text, delimiter


def _read(path, delimiter, fast):
    tabular.FAST = fast
    try:
        t = tabular.read_csv(path, delimiter=delimiter)
        return ("ok", t.x, t.y, t.task, t.class_names, t.feature_names)
    except DataError as exc:
        return ("error", str(exc))
    finally:
        tabular.FAST = True


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files(), st.sampled_from([1, 2, 3, 16384]))
def test_fast_and_careful_paths_agree(file, chunk):
    text, delimiter = file
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "data.csv"
        path.write_bytes(text.encode("utf-8"))
        old = tabular.CHUNK_ROWS
        tabular.CHUNK_ROWS = chunk
        try:
            fast, slow = _read(path, delimiter, True), _read(path, delimiter, False)
        finally:
            tabular.CHUNK_ROWS = old
    assert fast[0] == slow[0], (fast, slow)
    if fast[0] == "error":
        assert fast[1] == slow[1]
    else:
        np.testing.assert_array_equal(fast[1], slow[1])
        assert fast[1].dtype == slow[1].dtype == np.float32
        np.testing.assert_array_equal(fast[2], slow[2])
        assert fast[2].dtype == slow[2].dtype
        assert fast[3:] == slow[3:]


def test_a_big_plain_file_is_read_by_the_fast_path(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5000, 4)).astype(np.float32)
    y = rng.integers(0, 3, 5000)
    path = tmp_path / "big.csv"
    path.write_text("a,b,c,d,label\n" + "".join(f"{r[0]!r},{r[1]!r},{r[2]!r},{r[3]!r},{k}\n"
                                                 for r, k in zip(x.tolist(), y)))
    monkeypatch.setattr(tabular, "CHUNK_ROWS", 512)
    calls = []
    real = tabular._fast_chunk
    monkeypatch.setattr(tabular, "_fast_chunk", lambda *a: calls.append(1) or real(*a))
    t = tabular.read_csv(path)
    np.testing.assert_array_equal(t.x, x)
    np.testing.assert_array_equal(t.class_names, ["0", "1", "2"])
    assert len(calls) == 10        # every chunk after the first rows went through NumPy's parser
