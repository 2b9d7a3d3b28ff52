"""Files saved as the user wrote them: saving an experiment over the file it came from keeps the
comments, key order, formatting and spellings and changes only the lines whose values changed,
whether saved from the builder, copied into a run folder by `nntui train`, or written as a
search's best.toml; whatever is written reads back as the experiment that was saved."""

from __future__ import annotations

import difflib
import random
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine.presets import preset_names, preset_text
from engine.spec.document import preserving_toml

from .conftest import wait_until

pytestmark = pytest.mark.usefixtures("in_tmp")

USER_FILE = """\
# My moons experiment: the one from the lab sheet, question 3.
name = "moons-lab"
seed = 0   # fixed, so the class sees the same run

[data]
name = "moons"
samples = 400        # small: it trains in a second
noise = 0.2
scale = "standardize"

[model]
loss = "sparse_categorical_crossentropy"

# the hidden layer (try tanh too)
[[model.layers]]
units = 16
activation = "ReLU"   # written the way the sheet writes it

[[model.layers]]
units = 2
activation = "softmax"

[optimizer]
name = "adam"
learning_rate = 0.01

[train]
epochs = 20
batch_size = 32
"""


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(lines removed, lines added) from ``before`` to ``after``."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def test_an_edited_value_changes_its_line_and_nothing_else():
    text = USER_FILE
    exp = engine.Experiment.from_toml_string(text)
    edited = engine.with_overrides(exp, epochs=35, seed=3)
    out = preserving_toml(text, edited)
    assert changed_lines(text, out) == (["seed = 0   # fixed, so the class sees the same run", "epochs = 20"],
                                        ["seed = 3   # fixed, so the class sees the same run", "epochs = 35"])
    assert engine.Experiment.from_toml_string(out) == edited


def test_spellings_defaults_and_tables_the_file_leaves_out_stay_as_written():
    text = USER_FILE
    exp = engine.Experiment.from_toml_string(text)
    assert preserving_toml(text, exp) == text       # nothing changed: the file as it was, "ReLU" too
    d = exp.to_dict()
    d["model"]["layers"][0]["units"] = 24
    d["model"]["label_smoothing"] = 0.1             # a default the file leaves out, now set
    d["schedule"] = {"name": "step"}               # a table the file leaves out: only what differs
    d["early_stopping"] = {"patience": 4}
    new = engine.Experiment.from_dict(d)
    out = preserving_toml(text, new)
    removed, added = changed_lines(text, out)
    assert removed == ["units = 16"]
    assert "units = 24" in added and "label_smoothing = 0.1" in added and "[schedule]" in added
    assert 'name = "step"' in added and "[early_stopping]" in added and "patience = 4" in added
    assert "# the hidden layer (try tanh too)" in out and 'activation = "ReLU"   # written the way' in out
    assert engine.Experiment.from_toml_string(out) == new
    # a table taken away goes, with its lines; everything else stays
    back = preserving_toml(out, engine.Experiment.from_dict({k: v for k, v in d.items() if k != "early_stopping"}))
    assert "[early_stopping]" not in back and "# My moons experiment" in back


@pytest.mark.parametrize("name", preset_names())
def test_any_edit_of_any_preset_reads_back_as_the_experiment_saved(name):
    """Layers added and taken away, types changed, tables switched on and off: whatever is
    written means exactly the experiment (the full file where the user's cannot be kept)."""
    text = preset_text(name)
    rng = random.Random(name)
    d = engine.Experiment.from_toml_string(text).to_dict()
    for _ in range(6):
        layers = d["model"]["layers"]
        change = rng.choice(["units", "add", "drop", "lr", "stop", "epochs"])
        hidden = [lay for lay in layers if lay.get("type", "dense") == "dense"][:-1]
        if change == "units" and hidden:
            rng.choice(hidden)["units"] = rng.choice([3, 7, 64])
        elif change == "add":
            layers.insert(0, {"type": "dropout", "rate": 0.3})
        elif change == "drop" and len(layers) > 2 and layers[0].get("type") == "dropout":
            layers.pop(0)
        elif change == "lr":
            d["optimizer"]["learning_rate"] = rng.choice([0.1, 0.003])
        elif change == "stop":
            d["early_stopping"] = None if d.get("early_stopping") else {"patience": 2, "monitor": "loss"}
            d = {k: v for k, v in d.items() if v is not None}
        else:
            d["train"]["epochs"] = rng.choice([1, 7])
        exp = engine.Experiment.from_dict(d)
        text = preserving_toml(text, exp)
        assert engine.Experiment.from_toml_string(text) == exp


def test_nntui_train_copies_the_users_file_into_the_run_folder(tmp_path):
    path = tmp_path / "lab.toml"
    path.write_text(USER_FILE.replace("epochs = 20", "epochs = 2"))
    r = subprocess.run([sys.executable, "-m", "nntui", "train", str(path), "--epochs", "3", "--report", "run",
                        "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    copied = (tmp_path / "run" / "experiment.toml").read_text()
    assert changed_lines(path.read_text(), copied) == (["epochs = 2"], ["epochs = 3"])


@pytest.mark.asyncio
async def test_saving_from_the_builder_keeps_the_header_comment(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    from nntui.app import make_app

    path = tmp_path / "digits.toml"
    original = (Path(__file__).parents[1] / "examples" / "digits.toml").read_text()
    path.write_text(original)
    app = make_app(str(path))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.draft.set("train.epochs", 12)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not app.draft.dirty)
        saved = path.read_text()
        assert changed_lines(original, saved) == (["epochs = 30"], ["epochs = 12"])
        app.draft.set("optimizer.learning_rate", 0.01)     # a second save diffs from the first
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not app.draft.dirty)
        assert changed_lines(saved, path.read_text()) == (["learning_rate = 0.003"], ["learning_rate = 0.01"])
        assert path.read_text().startswith("# The embedded digits set")


def test_a_searchs_best_toml_keeps_the_search_files_comments(tmp_path):
    pytest.importorskip("optuna")
    path = tmp_path / "search.toml"
    path.write_text("# the lab's search: width and rate\n" + USER_FILE
                    .replace("epochs = 20", "epochs = 3") + """
[search]
trials = 3
sampler = "random"
monitor = "val_loss"

[search.space]
"model.layers[0].units" = { int = [4, 32], step = 4 }   # the width
""")
    r = subprocess.run([sys.executable, "-m", "nntui", "search", str(path), "--report", "out"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    best = (tmp_path / "out" / "best.toml").read_text()
    assert best.startswith("# the lab's search: width and rate\n# My moons experiment")
    assert 'activation = "ReLU"   # written the way the sheet writes it' in best
    assert engine.Experiment.from_toml_string(best).search is None
