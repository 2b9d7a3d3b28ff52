"""The lecture's model on the real Fashion-MNIST: the published figure is 0.8649 test accuracy after
3 epochs, trained, as in the lecture, on all 60,000 training images (no validation split)."""

import pytest

import engine


@pytest.mark.slow
def test_lecture_model_reaches_published_accuracy(fashion_dir):
    exp = engine.Experiment.from_dict({
        "seed": 0, "backend": "numpy",
        "data": {"name": "fashion-mnist", "path": str(fashion_dir), "validation_split": 0.0},
        "model": {"loss": "sparse_categorical_crossentropy", "layers": [
            {"units": 512, "activation": "relu", "initializer": "he_normal"},
            {"units": 512, "activation": "relu", "initializer": "he_normal"},
            {"units": 10, "activation": "softmax"}]},
        "optimizer": {"name": "rmsprop", "learning_rate": 0.001},
        "train": {"epochs": 3, "batch_size": 32}})
    result = engine.train(exp)
    assert result.metrics["epochs_run"] == 3
    assert result.metrics["test_accuracy"] >= 0.86, result.metrics
