"""The lecture's model on the real Fashion-MNIST: the published figure is 0.8649 test accuracy after
3 epochs, trained, as in the lecture, on all 60,000 training images (no validation split).

One run's figure is one draw: over seeds 0, 1, 2 this engine gave 0.869, 0.859 and 0.840 (Intel
Xeon, OpenBLAS 0.3.31), and another BLAS's summation order is a draw of the same kind; so is a
run whose thread count the tuner changes as it goes (engine/backends/numpy/threads.py), which
gave 0.8647, 0.8418 and 0.8419 (AMD EPYC, a mean of 0.8495). The mean of three seeds scatters by
about 0.007 around 0.853, so the test takes it against the published figure less 0.025 (three
times that scatter below the centre, about), and each run against a floor well below it."""

import pytest

import engine


# with the lecture presets (pytest -m lecture, which CI runs after the suite): three full
# Fashion-MNIST trainings are a minute of the suite's ten on two cores
@pytest.mark.slow
@pytest.mark.lecture
def test_lecture_model_reaches_published_accuracy(fashion_dir):
    accuracies = [_lecture_run(fashion_dir, seed) for seed in (0, 1, 2)]
    assert sum(accuracies) / 3 >= 0.84, accuracies
    assert min(accuracies) >= 0.82, accuracies


def _lecture_run(fashion_dir, seed: int) -> float:
    exp = engine.Experiment.from_dict({
        "seed": seed, "backend": "numpy",
        "data": {"name": "fashion-mnist", "path": str(fashion_dir), "validation_split": 0.0},
        "model": {"loss": "sparse_categorical_crossentropy", "layers": [
            {"units": 512, "activation": "relu", "initializer": "he_normal"},
            {"units": 512, "activation": "relu", "initializer": "he_normal"},
            {"units": 10, "activation": "softmax"}]},
        "optimizer": {"name": "rmsprop", "learning_rate": 0.001},
        "train": {"epochs": 3, "batch_size": 32}})
    result = engine.train(exp)
    assert result.metrics["epochs_run"] == 3
    return result.metrics["test_accuracy"]
