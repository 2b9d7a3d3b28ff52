"""The end of a run is evaluated once, in the engine: one pass over the test set gives the test
metrics, the confusion report and the most confident mistakes; the recorder only writes them.
Checked against an independent computation from model.predict after the run."""

import json

import numpy as np

import engine
from engine.backends.numpy.model import NumpyModel
from engine.evaluation import class_probabilities
from engine.reports.recorder import RunRecorder


def test_one_pass_over_the_test_set_feeds_metrics_confusion_and_mistakes(tmp_path, monkeypatch):
    exp = engine.with_overrides(engine.presets.load_preset("digits"), epochs=2)
    data = engine.load_data(exp.data)
    model = engine.build_model(exp, data.n_features, backend="numpy")
    recorder = RunRecorder(tmp_path / "run", exp, data, model)
    test_passes = []
    real_evaluate, real_predict = NumpyModel.evaluate, NumpyModel.predict

    def counting_evaluate(self, x, y, *a, **kw):
        if len(x) == len(data.x_test):
            test_passes.append("evaluate")
        return real_evaluate(self, x, y, *a, **kw)

    def refusing_predict(self, x, *a, **kw):
        raise AssertionError("the end of a run predicts nothing more")

    monkeypatch.setattr(NumpyModel, "evaluate", counting_evaluate)
    monkeypatch.setattr(NumpyModel, "predict", refusing_predict)
    result = engine.train(exp, data=data, model=model, on_event=recorder)
    saved = recorder.finish(result.metrics)
    assert test_passes == ["evaluate"]
    monkeypatch.setattr(NumpyModel, "predict", real_predict)

    probs = class_probabilities(model.predict(data.x_test))
    pred, y = probs.argmax(axis=1), data.y_test
    ev = result.evaluation
    assert ev.metrics["test_accuracy"] == result.metrics["test_accuracy"] == np.mean(pred == y)
    cm = np.zeros((10, 10), int)
    np.add.at(cm, (y, pred), 1)
    assert ev.confusion_matrix == cm.tolist() == saved["confusion_matrix"]
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["confusion_matrix"] == cm.tolist()
    wrong = np.flatnonzero(pred != y)
    confidence = probs[wrong, pred[wrong]]
    assert [m["index"] for m in ev.mistakes] == list(wrong[np.argsort(-confidence, kind="stable")][:12])
    assert all(m["true"] == data.class_names[y[m["index"]]] for m in ev.mistakes)
    finished = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").read_text().splitlines()][-1]
    assert finished["event"] == "finished" and finished["evaluation"]["confusion_matrix"] == cm.tolist()


def test_one_sigmoid_unit_gives_two_class_columns():
    p = class_probabilities(np.array([[0.2], [0.9]]))
    np.testing.assert_allclose(p, [[0.8, 0.2], [0.1, 0.9]])
