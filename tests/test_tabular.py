"""Your own data: CSV and NPZ files as users write them, and every way they go wrong."""

import gzip

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import DataError, DataSpec
from engine.data.npz import read_npz
from engine.data.tabular import read_csv


def write(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def load(path, **kw):
    return engine.load_data(DataSpec.parse({"name": "csv" if str(path).endswith((".csv", ".gz", ".txt")) else "npz",
                                            "path": str(path), **kw}))


def test_header_text_target_becomes_named_classes(tmp_path):
    p = write(tmp_path, "sepal length,petal,species\n" + "".join(
        f"{5 + i % 3}.{i % 10},{1 + i % 4}.5,{['setosa', 'versicolor', 'virginica'][i % 3]}\n" for i in range(60)))
    t = read_csv(p)
    assert t.task == "classification" and t.class_names == ["setosa", "versicolor", "virginica"]
    assert t.feature_names == ["sepal length", "petal"] and t.x.shape == (60, 2) and t.x.dtype == np.float32
    ds = load(p)
    assert ds.class_names == ["setosa", "versicolor", "virginica"] and ds.n_features == 2


def test_no_header_target_by_index_and_numeric_classes(tmp_path):
    p = write(tmp_path, "".join(f"{i % 2},{i * 0.5},{i % 7}\n" for i in range(40)))
    t = read_csv(p, target=0)
    assert t.class_names == ["0", "1"] and t.x.shape == (40, 2)
    assert read_csv(p).class_names == [str(i) for i in range(7)]        # default: the last column
    assert read_csv(p, target=-1, task="regression").task == "regression"


def test_target_by_name_and_regression_inferred(tmp_path):
    p = write(tmp_path, "price;rooms;area\n" + "".join(f"{100 + i * 1.37:.2f};{i % 5};{50 + i}\n" for i in range(30)))
    t = read_csv(p, target="price", delimiter=";")
    assert t.task == "regression" and t.y.shape == (30, 1) and t.y.dtype == np.float32
    assert t.feature_names == ["rooms", "area"]
    ds = load(p, target="price", delimiter=";")
    assert ds.task == "regression" and ds.n_classes == 1


def test_gzipped_csv_like_the_shared_digits(tmp_path):
    rows = "".join(",".join(str((i * j) % 17) for j in range(64)) + f",{i % 10}\n" for i in range(100))
    p = tmp_path / "d.csv.gz"
    p.write_bytes(gzip.compress(rows.encode()))
    t = read_csv(p)
    assert t.x.shape == (100, 64) and len(t.class_names) == 10


BAD_CSV = [
    ("", r"the file is empty"),
    ("\n\n", r"the file is empty"),
    ("a,b,c\n", r"no data rows after the header"),
    ("a,b,c\n1,2,3\n4,5\n", r"line 3 has 2 fields, expected 3 \(as on line 1\)"),
    ("a,b,c\n1,2,3\n4,x,6\n", r"line 3, column 2 \(b\): not a number: 'x'"),
    ("a,b,c\n1,2,3\n4,,6\n", r"line 3, column 2 \(b\): missing value"),
    ("a,b,c\n1,2,3\n4,inf,6\n", r"line 3, column 2 \(b\): not a finite number: 'inf'"),
    ("a,b,c\n1,2,3\n4,1e300,6\n", r"line 3, column 2 \(b\): '1e300' is too large for float32"),
    ("a,b,c\n1,2,3\n4,5,\n", r"line 3, column 3 \(c\): missing target value"),
    ("a,b,c\n1,2,x\n4,5,x\n", r"single class \('x'\): nothing to learn"),
    ("a\n1\n2\n", r"line 1 has 1 column; a dataset needs features and a target"),
]


@pytest.mark.parametrize("text,message", BAD_CSV)
def test_bad_csv_names_file_line_and_column(tmp_path, text, message):
    p = write(tmp_path, text)
    with pytest.raises(DataError, match=message) as info:
        read_csv(p)
    assert str(p) in str(info.value)


def test_more_than_a_thousand_classes_by_accident(tmp_path):
    p = write(tmp_path, "x,id\n" + "".join(f"{i},user{i}\n" for i in range(1500)))
    with pytest.raises(DataError, match=r"'id' has 1,500 distinct values: more than 1,000 classes\. Is it the right column"):
        read_csv(p)


def test_bad_target_choices(tmp_path):
    p = write(tmp_path, "a,b,c\n1,2,3\n4,5,6\n")
    with pytest.raises(DataError, match=r"data\.target 'd' is not a column; columns: a, b, c"):
        read_csv(p, target="d")
    with pytest.raises(DataError, match=r"data\.target 5 is not a column: the file has columns 0\.\.2"):
        read_csv(p, target=5)
    q = write(tmp_path, "1,2,a\n4,5,b\n", "q.csv")
    with pytest.raises(DataError, match=r"names a column, but the file has no header row"):
        read_csv(q, target="c")
    with pytest.raises(DataError, match=r"holds text \('a'\), which regression cannot predict"):
        read_csv(q, task="regression")


def test_text_after_numbers_in_a_numeric_target_is_named(tmp_path):
    rows = "".join(f"{i},{i % 3}\n" for i in range(20000)) + "5,cat\n"
    p = write(tmp_path, "x,y\n" + rows)
    with pytest.raises(DataError, match=r"line 20002, column 2 \(y\): not a number: 'cat'"):
        read_csv(p)


def test_npz_arrays_images_and_test_split(tmp_path):
    rng = np.random.default_rng(0)
    p = tmp_path / "d.npz"
    np.savez(p, x=rng.integers(0, 255, (40, 6, 6), dtype=np.uint8), y=np.arange(40) % 4,
             x_test=rng.integers(0, 255, (12, 6, 6), dtype=np.uint8), y_test=np.arange(12) % 4)
    t = read_npz(p)
    assert t.x.shape == (40, 36) and t.image_shape == (6, 6) and t.x_test.shape == (12, 36)
    ds = load(p)
    assert len(ds.x_test) == 12 and ds.n_features == 36 and ds.x_train.max() <= 1.0
    q = tmp_path / "labels.npz"
    np.savez(q, x=rng.normal(size=(30, 3)), y=np.array(["cat", "dog", "emu"] * 10))
    assert read_npz(q).class_names == ["cat", "dog", "emu"]


BAD_NPZ = [
    (dict(x=np.zeros((5, 2))), r"no array 'y'; the archive holds x"),
    (dict(x=np.zeros((5, 2)), y=np.arange(4)), r"x has 5 rows but y has 4"),
    (dict(x=np.zeros(5), y=np.arange(5)), r"x must have one row per sample"),
    (dict(x=np.zeros((4, 2)), y=np.arange(4) % 2, x_test=np.zeros((2, 3)), y_test=np.arange(2)),
     r"x_test has 3 features per row, x has 2"),
    (dict(x=np.zeros((4, 2)), y=np.arange(4) % 2, x_test=np.zeros((2, 2))), r"x_test and y_test come together"),
    (dict(x=np.array([[1.0, np.nan], [0, 0]]), y=np.arange(2)), r"x holds a missing or infinite value at row 0, column 1"),
    (dict(x=np.zeros((4, 2)), y=np.zeros(4)), r"single class \('0'\)"),
]


@pytest.mark.parametrize("arrays,message", BAD_NPZ)
def test_bad_npz(tmp_path, arrays, message):
    p = tmp_path / "bad.npz"
    np.savez(p, **arrays)
    with pytest.raises(DataError, match=message):
        read_npz(p)


def test_npz_with_objects_or_not_an_archive(tmp_path):
    p = tmp_path / "obj.npz"
    np.savez(p, x=np.array([[1, 2]], dtype=object), y=np.array([1]))
    with pytest.raises(DataError, match=r"cannot read without pickle"):
        read_npz(p)
    q = tmp_path / "text.npz"
    q.write_text("hello")
    with pytest.raises(DataError, match=r"not a readable \.npz archive"):
        read_npz(q)


def test_model_saved_with_its_scaling_predicts_on_raw_inputs(tmp_path):
    p = write(tmp_path, "a,b,label\n" + "".join(f"{i * 10},{(i * 7) % 13},{'hi' if i % 2 else 'lo'}\n" for i in range(80)))
    exp = engine.Experiment.from_dict({"data": {"name": "csv", "path": str(p), "scale": "standardize"},
                                       "model": {"layers": [{"units": 8}, {"units": 2, "activation": "softmax"}]},
                                       "train": {"epochs": 2}})
    result = engine.train(exp, backend="numpy")
    engine.save_model(result.model, tmp_path / "m.npz", scaler=result.data.scaler)
    loaded = engine.load_model(tmp_path / "m.npz")
    raw = np.array([[30.0, 5.0], [500.0, 1.0]])
    np.testing.assert_allclose(loaded.predict(engine.data.scale_with(loaded.scaler, raw)),
                               result.model.predict(result.data.scale(raw)), rtol=1e-6)


CELL = st.one_of(st.integers(-5, 5).map(str), st.floats(allow_nan=True, allow_infinity=True).map(str),
                 st.sampled_from(["", "a", "x y", '"q"', "1e5", " 3 ", "nan", "-", "1,5"]),
                 st.text(max_size=4))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=4), max_size=8),
       sep=st.sampled_from([",", ";"]), newline=st.sampled_from(["\n", "\r\n"]))
def test_any_csv_text_gives_a_dataset_or_the_clear_error(tmp_path, rows, sep, newline):
    p = tmp_path / "fuzz.csv"
    p.write_bytes(newline.join(sep.join(r) for r in rows).encode("utf-8", "replace"))
    try:
        t = read_csv(p, delimiter=sep)
    except DataError as exc:
        assert str(p) in str(exc)
        return
    assert t.x.dtype == np.float32 and np.isfinite(t.x).all() and len(t.x) == len(t.y)
