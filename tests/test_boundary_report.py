"""The headless decision boundary: report.md's boundary.svg and `nntui report`'s maps (the
lecture's ReLU against tanh side by side) show what the saved model predicts at each point of
the plane."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import engine
from engine.plane import PlaneGrid

from .test_headless import nntui


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("planes")
    out = []
    for preset in ("spiral-relu", "spiral-tanh"):
        folder = tmp / preset
        r = nntui("train", "--preset", preset, "--epochs", "15", "--report", folder, "--quiet")
        assert r.returncode == 0, r.stderr
        out.append(folder)
    return out


def predicted(folder, width, height):
    exp = engine.Experiment.from_toml(folder / "experiment.toml")
    data = engine.load_data(exp.data)
    grid = PlaneGrid(data, width=width, height=height)
    return grid, grid.probabilities(engine.load_model(folder / "model.npz")).argmax(axis=2)


def test_the_reports_boundary_is_the_saved_models_prediction(two_runs):
    folder = two_runs[0]
    assert "![decision boundary](boundary.svg)" in (folder / "report.md").read_text()
    root = ET.parse(folder / "boundary.svg").getroot()
    fills = [el.get("fill") for el in root.iter() if el.tag.endswith("rect") and el.get("width") == "6"]
    assert len(fills) == 64 * 40
    rgb = np.array([[int(v) for v in re.findall(r"\d+", f)] for f in fills]).reshape(40, 64, 3)
    grid, cls = predicted(folder, 64, 40)
    points = {tuple(c) for c in grid.train_cells}
    # class 0 is drawn blue, class 1 orange: where no training point sits, red beats blue iff class 1
    agree = [(rgb[r, c, 0] > rgb[r, c, 2]) == (cls[r, c] == 1) for r in range(40) for c in range(64)
             if (r, c) not in points]
    assert all(agree) and 0.2 < cls.mean() < 0.8        # both classes are on the map


def test_nntui_report_puts_two_boundaries_side_by_side(two_runs):
    r = nntui("report", *two_runs)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if "spiral-relu" in line and "spiral-tanh" in line)
    rows = lines[head + 1:head + 15]
    for k, folder in enumerate(two_runs):
        _, cls = predicted(folder, 36, 14)
        shown = np.array([[ch.lower() for ch in row[k * 38:k * 38 + 36]] for row in rows])
        assert (shown == np.where(cls == 1, "x", "o")).all()
    assert max(map(len, lines)) <= 80


def test_the_report_draws_the_saved_map_without_the_model(two_runs, tmp_path):
    """boundary.json holds the map the report draws (so `nntui report` loads no NumPy, model or
    data); it is the saved model's prediction, and a folder without it (an older nntui's) or with
    a damaged one has the map computed as before."""
    import json
    import shutil

    from engine.plane import TERMINAL_MAP, terminal_boundary
    from nntui.report_view import MAP_COLS, MAP_ROWS

    assert (MAP_COLS, MAP_ROWS) == TERMINAL_MAP
    folder = two_runs[1]
    saved = json.loads((folder / "boundary.json").read_text())
    _, cls = predicted(folder, 36, 14)
    assert saved["classes"] == cls.tolist()
    exp = engine.Experiment.from_toml(folder / "experiment.toml")
    assert saved == terminal_boundary(engine.load_model(folder / "model.npz"), engine.load_data(exp.data))
    expected = nntui("report", folder).stdout.splitlines()[1:]    # under the title rule (it names the folder)
    # without the model the report still draws the map, from boundary.json
    bare = tmp_path / "bare"
    shutil.copytree(folder, bare)
    (bare / "model.npz").rename(bare / "elsewhere.npz")
    (bare / "model.npz").write_bytes(b"not a model")
    assert nntui("report", bare).stdout.splitlines()[1:] == expected
    # an older folder (no boundary.json) and a damaged one: computed from the model
    shutil.copy(bare / "elsewhere.npz", bare / "model.npz")
    for damage in (None, '{"cols": 36, "rows": 14, "colour": [], "classes": [], "sure": []}', "{not json"):
        if damage is None:
            (bare / "boundary.json").unlink()
        else:
            (bare / "boundary.json").write_text(damage)
        assert nntui("report", bare).stdout.splitlines()[1:] == expected


@pytest.mark.parametrize("term, colorterm", [("xterm-256color", "truecolor"), ("xterm-256color", ""),
                                             ("xterm-16color", "")])
def test_the_coloured_map_is_the_saved_pixels_two_a_cell(two_runs, term, colorterm):
    """In colour each cell of the map is an upper half block: its colour the upper pixel of
    boundary.json's image, its ground the lower one (in a terminal of 256 or 16 colours, each the
    palette's colour that rich picks for it, as for any colour)."""
    import json
    import os
    import subprocess
    import sys

    from rich.color import Color, ColorSystem

    folder = two_runs[0]
    image = json.loads((folder / "boundary.json").read_text())["colour"]
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM")}
    env.update(FORCE_COLOR="1", COLUMNS="100", TERM=term, PYTHONUNBUFFERED="1", COLORTERM=colorterm)
    r = subprocess.run([sys.executable, "-m", "nntui", "report", str(folder)], capture_output=True, text=True,
                       env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if "\u2580" in line]
    assert len(rows) == len(image) // 2
    cells = [[codes for codes, run in re.findall(r"\x1b\[([\d;]+)m(\u2580+)", row) for _ in run] for row in rows]
    system = (ColorSystem.TRUECOLOR if colorterm else ColorSystem.EIGHT_BIT if "256" in term
              else ColorSystem.STANDARD)

    def codes(upper, lower):
        fg, bg = (Color.from_rgb(*p).downgrade(system) for p in (upper, lower))
        return ";".join([*fg.get_ansi_codes(foreground=True), *bg.get_ansi_codes(foreground=False)])

    expected = [[codes(t, b) for t, b in zip(image[2 * i], image[2 * i + 1])] for i in range(len(rows))]
    assert cells == expected
    assert any(len(set(row)) > 1 for row in cells)     # the picture, not one colour
