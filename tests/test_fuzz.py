"""Fuzzing each input family a user hands nntui (hypothesis): whatever the bytes, the result is a
value or the documented error (SpecError for experiments and model files, DataError for data,
exit code 2 with a message for run folders), never another exception."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.data.npz import read_npz
from engine.data.tabular import read_csv

FUZZ = settings(max_examples=int(os.environ.get("NNTUI_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALID = engine.presets.load_preset("digits").to_dict()

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    st.text(max_size=12))
values = st.recursive(scalars.filter(lambda v: v is not None),
                      lambda inner: st.one_of(st.lists(inner, max_size=4),
                                              st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=8)


def _paths(d, prefix=()):
    for k, v in d.items():
        yield prefix + (k,)
        if isinstance(v, dict):
            yield from _paths(v, prefix + (k,))
        elif isinstance(v, list):
            for i, item in enumerate(v):
                if isinstance(item, dict):
                    yield from _paths(item, prefix + (k, i))


PATHS = list(_paths(VALID))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=4))
def test_experiments_with_any_values_parse_or_name_the_field(changes):
    import copy

    d = copy.deepcopy(VALID)
    for path, value in changes:
        node = d
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    try:
        text = tomli_w.dumps(d)
    except (TypeError, ValueError):      # not expressible in TOML (None, nan keys...): from_dict then
        with contextlib.suppress(engine.SpecError):
            engine.Experiment.from_dict(d)
        return
    with contextlib.suppress(engine.SpecError):
        engine.Experiment.from_toml_string(text, source="fuzz.toml")


@FUZZ
@given(st.text(max_size=400))
def test_any_text_as_an_experiment_file(text):
    with contextlib.suppress(engine.SpecError):
        engine.Experiment.from_toml_string(text, source="fuzz.toml")


CSV_ALPHABET = "0123456789.,-+e\n\r\"'ab_ \t;E\ufeff[]/\x1b"


@FUZZ
@given(st.text(alphabet=CSV_ALPHABET, max_size=600), st.sampled_from(["auto", "yes", "no"]))
def test_any_csv_reads_or_names_the_line(text, header):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        path.write_text(text, encoding="utf-8")
        try:
            read_csv(path, header=header)
        except engine.DataError as exc:
            assert str(path) in str(exc)
        spec = engine.spec.DataSpec(name="csv", path=str(path), header=header)
        with contextlib.suppress(engine.DataError, engine.SpecError):
            data = engine.load_data(spec)
            assert np.isfinite(data.x_train).all() and len(data.x_train)


def _valid_npz() -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    np.savez(buf, x=rng.random((30, 3)).astype(np.float32), y=np.arange(30) % 3)
    return buf.getvalue()


def _mutated(raw: bytes, data) -> bytes:
    b = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(b) - 1))
        b[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(b)))
    return bytes(b[:cut])


@FUZZ
@given(st.data())
def test_any_damaged_npz_reads_or_names_the_file(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        path.write_bytes(_mutated(_valid_npz(), data))
        try:
            read_npz(path)
        except engine.DataError as exc:
            assert str(path) in str(exc)


dtypes = st.sampled_from(["f4", "f8", "i4", "u1", "c8", "?", "U3", "S2", "f2", "m8[s]"])
shapes = st.lists(st.integers(0, 4), max_size=3).map(tuple)


@FUZZ
@given(st.dictionaries(st.sampled_from(["x", "y", "x_test", "y_test", "z"]), st.tuples(dtypes, shapes), max_size=4))
def test_any_arrays_in_an_npz(arrays):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        np.savez(path, **{k: np.zeros(shape, dtype=dt) for k, (dt, shape) in arrays.items()})
        spec = engine.spec.DataSpec(name="npz", path=str(path))
        with contextlib.suppress(engine.DataError, engine.SpecError):
            engine.load_data(spec)


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    from nntui.cli import main

    folder = tmp_path_factory.mktemp("m") / "run"
    assert main(["train", "examples/digits.toml", "--epochs", "1", "--report", str(folder), "--quiet"]) == 0
    return (folder / "model.npz").read_bytes(), folder


@FUZZ
@given(data=st.data())
def test_any_damaged_model_file_loads_or_says_so(model_bytes, data):
    raw, _ = model_bytes
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        path.write_bytes(_mutated(raw, data))
        with contextlib.suppress(engine.SpecError):
            engine.load_model(path)


@FUZZ
@given(data=st.data())
def test_any_arrays_in_a_model_file(model_bytes, data):
    raw, _ = model_bytes
    z = dict(np.load(io.BytesIO(raw)))
    for key in data.draw(st.lists(st.sampled_from(sorted(z) + ["1.gamma", "x"]), max_size=3)):
        dt, shape = data.draw(st.tuples(dtypes, shapes))
        z[key] = np.zeros(shape, dtype=dt)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        np.savez(path, **z)
        with contextlib.suppress(engine.SpecError):
            engine.load_model(path)


RUN_FILES = ("metrics.json", "history.csv", "events.jsonl", "experiment.toml")


@FUZZ
@given(name=st.sampled_from(RUN_FILES),
       content=st.one_of(st.binary(max_size=200), st.text(alphabet="{}[]\",:0123456789.-eantruflsNI\n ", max_size=200)))
def test_any_run_folder_file_reports_or_names_it(model_bytes, name, content):
    import shutil

    from nntui.report_view import show

    _, source = model_bytes
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "run"
        shutil.copytree(source, folder)
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = show([str(folder)])
        assert code in (0, 2), err.getvalue()
        if code == 2:
            assert str(folder) in err.getvalue(), err.getvalue()
