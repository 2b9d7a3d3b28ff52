"""`nntui train` as a script runs it: exit codes and messages, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def nntui(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "nntui", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_headless_run_on_digits(tmp_path):
    r = nntui("train", "examples/digits.toml", "--epochs", "3", "--seed", "2", "--backend", "numpy", "--report",
              str(tmp_path / "cli-run"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("backend numpy on cpu (asked for numpy)")
    assert sum(line.startswith("epoch") for line in lines) == 3
    assert "test_accuracy" in lines[-2] and "\x1b" not in r.stdout


def test_bad_file_exits_2_naming_the_field(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\n[[model.layers]]\nunits = 10\nactivation = "softmax"\n[train]\nepochs = 0\n')
    r = nntui("train", str(bad))
    assert r.returncode == 2
    assert f"{bad}: train.epochs: must be a positive integer, got 0" in r.stderr
    assert "Traceback" not in r.stderr


def test_missing_file_and_missing_dataset_exit_2(tmp_path):
    r = nntui("train", str(tmp_path / "nope.toml"))
    assert r.returncode == 2 and "nope.toml: file not found" in r.stderr
    exp = tmp_path / "fm.toml"
    exp.write_text('[data]\nname = "fashion-mnist"\npath = "%s"\n[model]\n[[model.layers]]\nunits = 10\n'
                   'activation = "softmax"\n' % (tmp_path / "empty"))
    r = nntui("train", str(exp))
    assert r.returncode == 2 and "lacks train-images-idx3-ubyte.gz" in r.stderr and "Traceback" not in r.stderr


def test_diverged_run_exits_3(tmp_path):
    """(the run folder goes to tmp_path)"""
    exp = tmp_path / "boom.toml"
    hidden = '[[model.layers]]\nunits = 64\ninitializer = "random_normal"\ninit_scale = 5.0\n'
    exp.write_text('[model]\n' + hidden + hidden + '[[model.layers]]\nunits = 10\nactivation = "softmax"\n'
                   '[optimizer]\nname = "sgd"\nlearning_rate = 500.0\n[train]\nepochs = 3\n')
    r = nntui("train", str(exp), "--report", str(tmp_path / "run"))
    assert r.returncode == 3, r.stdout + r.stderr
    assert "diverged: loss became" in r.stdout and "RuntimeWarning" not in r.stderr


def test_a_closed_pipe_ends_quietly_and_the_run_is_still_saved(tmp_path):
    for cmd in (f"{sys.executable} -m nntui presets | head -1",
                f"{sys.executable} -m nntui train examples/digits.toml --epochs 3 --report {tmp_path / 'run'} | head -1"):
        r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, (cmd, r.stderr)
        assert "Traceback" not in r.stderr and "Error" not in r.stderr, r.stderr
        assert len(r.stdout.splitlines()) == 1
    assert (tmp_path / "run" / "model.npz").exists() and (tmp_path / "run" / "report.md").exists()


def test_version():
    r = nntui("--version")
    assert r.returncode == 0 and r.stdout.strip().startswith("nntui 0.")


def test_report_honours_no_color(tmp_path):
    assert nntui("train", "examples/digits.toml", "--epochs", "2", "--report", str(tmp_path / "run")).returncode == 0
    forced = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "100"}
    forced.pop("NO_COLOR", None)
    coloured = subprocess.run([sys.executable, "-m", "nntui", "report", str(tmp_path / "run")], cwd=ROOT,
                              capture_output=True, text=True, timeout=120, env=forced)
    plain = subprocess.run([sys.executable, "-m", "nntui", "report", str(tmp_path / "run")], cwd=ROOT,
                           capture_output=True, text=True, timeout=120, env={**forced, "NO_COLOR": "1"})
    assert coloured.returncode == plain.returncode == 0
    colour_codes = ("\x1b[38;", "\x1b[3", "\x1b[9")
    assert any(c in coloured.stdout for c in colour_codes), "a terminal gets colours"
    import re

    assert not re.search(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[0-9;]+)m", plain.stdout), "NO_COLOR: no colour codes"
    # one grey for both curves: their marks tell train from validation, in the legend and the plot
    legend = dict((m.group(2), m.group(1)) for m in re.finditer(r"(\S\S) (train|validation)\b", plain.stdout))
    assert legend.keys() == {"train", "validation"} and legend["train"] != legend["validation"], legend


def test_presets_columns_never_run_together():
    r = nntui("presets")
    rows = [line for line in r.stdout.splitlines() if line and not line.startswith(" ") and "nntui train" not in line]
    assert len(rows) >= 18
    import re

    for line in rows:
        name, data = re.split(r"\s{2,}", line)[:2]
        assert name in r.stdout and data in {"digits", "fashion-mnist", "moons", "spiral", "mnist", "scales"}, line


def test_a_dumb_terminal_is_told_to_use_the_headless_run():
    r = subprocess.run([sys.executable, "-m", "nntui"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "TERM": "dumb"})
    assert r.returncode == 2 and "TERM=dumb" in r.stderr and "nntui train" in r.stderr


@pytest.mark.asyncio
async def test_the_palette_and_search_header_show_search_words_as_written(tmp_path, monkeypatch):
    from rich.text import Text

    import engine
    from nntui.app import make_app

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    app = make_app()
    async with app.run_test(size=(120, 40)):
        helps = {c.title: c.help for c in app.get_system_commands(app.screen)}
    assert "[search]" in Text.from_markup(helps["Hyperparameter search"]).plain
    exp = engine.Experiment.from_toml(ROOT / "examples" / "moons-search.toml")
    described = [d.describe() for d in exp.search.space]
    assert all("{" not in d and "'" not in d for d in described), described
    assert any(".." in d for d in described) and any(" | " in d for d in described), described


def test_report_side_by_side_keeps_both_names_at_80_columns(tmp_path):
    for name in ("spiral-relu", "spiral-tanh"):
        assert nntui("train", "--preset", name, "--epochs", "1", "--report", str(tmp_path / name)).returncode == 0
    r = subprocess.run([sys.executable, "-m", "nntui", "report", str(tmp_path / "spiral-relu"),
                        str(tmp_path / "spiral-tanh")], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    table = r.stdout.split("val_loss")[0]
    assert "spiral-relu" in table and "spiral-tanh" in table, table


def test_presets_show_the_lectures_figure_beside_nntuis_recorded_run():
    import json
    from pathlib import Path

    import engine.presets

    recorded = json.loads((Path(engine.presets.__file__).parent / "figures.json").read_text())
    text = " ".join(nntui("presets").stdout.split()).replace("> ", "")     # the lines are folded, marked >
    assert "lecture: test accuracy 0.8649 (loss 0.5095 / 0.4145 / 0.3935); nntui: " \
        f"{recorded['lecture-first-network']['value']:.4f}" in text
    bn = recorded["lecture-batchnorm-dropout"]
    assert f"maximum validation accuracy 0.8902 at epoch 49; nntui: {bn['value']:.4f} at epoch {bn['epoch']}, " \
        f"seed {bn['seed']}" in text


@pytest.mark.parametrize("command", ["train", "report", "search", "optimizers", "lr-find", "backprop", "export",
                                     "serve", "presets", "datasets"])
def test_a_commands_own_parser_reads_as_the_whole_one(command):
    """`nntui CMD ...` builds only CMD's parser (the rest cost ~10 ms of argparse sizing help to the
    terminal): its usage, help and defaults must be what the whole parser gives for CMD."""
    import argparse

    from nntui import cli

    def sub(parser):
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return action.choices

    whole, own = sub(cli._parser()), sub(cli._parser(command))
    assert list(own) == [command] and command in whole
    assert own[command].format_help() == whole[command].format_help()
    shape = lambda p: [(a.dest, a.option_strings, a.default, a.nargs, a.required, a.choices, a.type)  # noqa: E731
                       for a in p._actions]
    assert shape(own[command]) == shape(whole[command])
    assert set(cli.COMMANDS) == set(whole)


def test_a_coloured_reports_plots_keep_the_terminals_ground(tmp_path):
    """In colour the report's curves are drawn on the terminal's own ground and text (plotext's
    default is a white canvas, a white box in a dark terminal), in palette colours that read on
    dark and light grounds: bright blue and yellow, the ANSI theme's."""
    import re

    assert nntui("train", "examples/digits.toml", "--epochs", "3", "--report", str(tmp_path / "run")).returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(FORCE_COLOR="1", COLUMNS="100", TERM="xterm-256color")
    r = subprocess.run([sys.executable, "-m", "nntui", "report", str(tmp_path / "run")], cwd=ROOT,
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    plot = [line for line in r.stdout.splitlines() if "┤" in line or "└┬" in line]
    assert len(plot) > 8
    assert not any(re.search(r"\x1b\[(?:[0-9;]*;)?(?:4[0-7]|10[0-7]|48;[0-9;]+)m", line) for line in plot), \
        "no background colour behind the plots"
    curves = set(re.findall(r"\x1b\[38;5;(\d+)m", "\n".join(plot)))
    assert curves == {"12", "3"}, curves
