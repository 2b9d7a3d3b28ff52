"""Datasets: the embedded digits, the synthetic sets, verified IDX folders, splits and scaling."""

import gzip
import hashlib

import numpy as np
import pytest

import engine
from engine import DataError, DataSpec
from engine.data import split_stratified


def spec(**kw):
    return DataSpec.parse(kw)


def test_digits_embedded_split_and_scaled():
    ds = engine.load_data(spec(name="digits"))
    assert ds.n_features == 64 and ds.n_classes == 10 and ds.class_names[3] == "3"
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 1797
    assert len(ds.x_test) == pytest.approx(0.2 * 1797, abs=10)
    assert ds.x_train.dtype == np.float32 and ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0
    # stratified: every class in every split in proportion
    for part in (ds.y_train, ds.y_val, ds.y_test):
        counts = np.bincount(part, minlength=10)
        assert counts.min() > 0 and counts.max() / counts.min() < 1.3
    assert ds.scaler["kind"] == "minmax" and float(ds.scaler["scale"]) == pytest.approx(1 / 16)


def test_splits_depend_on_data_seed_only():
    a, b = engine.load_data(spec(name="digits")), engine.load_data(spec(name="digits"))
    np.testing.assert_array_equal(a.y_test, b.y_test)
    c = engine.load_data(spec(name="digits", seed=3))
    assert not np.array_equal(a.y_test, c.y_test)


def test_standardize_is_fitted_on_training_part_only():
    ds = engine.load_data(spec(name="gaussians", samples=2000, scale="standardize", classes=3))
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(ds.x_train.std(axis=0), 1, atol=1e-4)
    assert abs(ds.x_test.mean()) > 1e-6  # the test part was scaled with the training statistics
    raw = np.array([[0.0, 0.0]], np.float32)
    np.testing.assert_allclose(ds.scale(raw), (raw - ds.scaler["offset"]) * ds.scaler["scale"])


@pytest.mark.parametrize("name,k", [("moons", 2), ("circles", 2), ("xor", 2), ("spiral", 2), ("gaussians", 2)])
def test_synthetic_sets(name, k):
    ds = engine.load_data(spec(name=name, samples=500, noise=0.05))
    assert ds.n_features == 2 and ds.n_classes == k
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 500
    assert set(np.unique(ds.y_train)) == set(range(k))


def test_spiral_with_three_arms_and_sine_regression():
    ds = engine.load_data(spec(name="spiral", samples=600, classes=3))
    assert ds.n_classes == 3 and set(np.unique(ds.y_test)) == {0, 1, 2}
    sine = engine.load_data(spec(name="sine", samples=300, noise=0.0, scale="none"))
    assert sine.task == "regression"
    np.testing.assert_allclose(sine.y_train[:, 0], np.sin(sine.x_train[:, 0]), atol=1e-6)


def test_stratified_split_fraction_per_class():
    y = np.repeat([0, 1, 2], [100, 50, 10])
    keep, held = split_stratified(y, 0.2, np.random.default_rng(0))
    assert np.bincount(y[held]).tolist() == [20, 10, 2]
    assert len(np.intersect1d(keep, held)) == 0 and len(keep) + len(held) == 160


def test_real_fashion_mnist_verified_and_read(fashion_dir):
    ds = engine.load_data(spec(name="fashion-mnist", path=str(fashion_dir), validation_split=0.1))
    assert ds.n_features == 784 and len(ds.x_test) == 10000
    assert len(ds.x_train) + len(ds.x_val) == 60000
    assert ds.class_names == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                              "Sneaker", "Bag", "Ankle boot"]
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
    assert ds.x_train.max() == 1.0 and ds.x_train.min() == 0.0
    whole = engine.load_data(spec(name="fashion-mnist", path=str(fashion_dir), validation_split=0.0))
    assert len(whole.x_train) == 60000 and np.bincount(whole.y_train).tolist() == [6000] * 10


def test_corrupt_or_missing_idx_files_are_refused(fashion_dir, tmp_path):
    folder = tmp_path / "fm"
    folder.mkdir()
    for f in fashion_dir.iterdir():
        if f.name.endswith(".gz"):
            (folder / f.name).symlink_to(f)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"lacks t10k-labels-idx1-ubyte\.gz.*Place the four published files"):
        engine.load_data(spec(name="fashion-mnist", path=str(folder)))
    labels = gzip.decompress((fashion_dir / "t10k-labels-idx1-ubyte.gz").read_bytes())
    tampered = bytearray(labels)
    tampered[100] = (tampered[100] + 1) % 10
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(tampered)))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: sha256 [0-9a-f]{64} does not match"):
        engine.load_data(spec(name="fashion-mnist", path=str(folder)))
    # the shared originals were never touched
    digest = hashlib.sha256((fashion_dir / "t10k-labels-idx1-ubyte.gz").read_bytes()).hexdigest()
    assert digest == "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"


def test_offline_first_use_says_how_to_place_the_files(tmp_path, monkeypatch):
    from engine.data import download

    monkeypatch.setenv("NNTUI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NNTUI_MIRROR", raising=False)
    monkeypatch.setitem(download.MIRRORS, "mnist", ("http://127.0.0.1:9/",))  # nothing listens on port 9
    with pytest.raises(DataError, match=r"mnist: could not download train-images-idx3-ubyte\.gz from any mirror "
                                        r"\(http://127\.0\.0\.1:9/train-images.*Offline\? Place the four published files"):
        engine.load_data(spec(name="mnist"))
    assert not list((tmp_path / "mnist").iterdir()), "a failed download left a file in the cache"
