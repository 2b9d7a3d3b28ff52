"""Bad input of every family, as a user's files would hold it: `nntui train` (and `nntui report`)
exit 2 with a message that names the file, field or line, never a traceback, and never a wrong
result. Each row: what the file holds, and a fragment the message must contain."""

from __future__ import annotations

import gzip
import io
import zipfile

import numpy as np
import pytest

from nntui.cli import main

LAYERS = '[[model.layers]]\nunits = 8\nactivation = "relu"\n[[model.layers]]\nunits = 2\nactivation = "softmax"\n'


def experiment(tmp_path, data: str, layers: str = LAYERS, extra: str = "") -> str:
    path = tmp_path / "experiment.toml"
    path.write_text(f"{extra}[data]\n{data}\n[model]\n{layers}[train]\nepochs = 2\n", encoding="utf-8")
    return str(path)


def csv_file(tmp_path, text: str | bytes, name="data.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return experiment(tmp_path, f'name = "csv"\npath = "{path}"')


def npz_file(tmp_path, data: bytes | dict, name="data.npz") -> str:
    path = tmp_path / name
    if isinstance(data, dict):
        np.savez(path, **data)
    else:
        path.write_bytes(data)
    return experiment(tmp_path, f'name = "npz"\npath = "{path}"')


def _npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _good_npz() -> bytes:
    rng = np.random.default_rng(0)
    return _npz_bytes(x=rng.random((60, 3)), y=np.arange(60) % 2)


def _flip_member_byte(raw: bytes) -> bytes:
    b = bytearray(raw)
    i = b.find(b"\x93NUMPY")
    b[i + 200] ^= 0xFF                 # inside x's data: the member's CRC no longer matches
    return bytes(b)


def _declared_huge() -> bytes:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }"
    header += " " * (118 - len(header)) + "\n"
    member = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\0" * 64
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("x.npy", member)
        y = io.BytesIO()
        np.save(y, np.arange(10) % 2)
        z.writestr("y.npy", y.getvalue())
    return buf.getvalue()


def _corrupt_gzip() -> bytes:
    raw = gzip.compress(b"a,b,y\n" + b"1,2,0\n3,4,1\n" * 200)
    return raw[:20] + bytes(b ^ 0x55 for b in raw[20:60]) + raw[60:]


ROWS = "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(40))

CASES = {
    # the spec
    "validation split leaves no rows": (lambda t: experiment(t, 'name = "digits"\nvalidation_split = 0.999',
                                                             LAYERS.replace("units = 2", "units = 10")),
                                        "leave no training rows"),
    "test split leaves no rows": (lambda t: experiment(t, 'name = "digits"\ntest_split = 0.999',
                                                       LAYERS.replace("units = 2", "units = 10")),
                                  "leave no training rows"),
    "TOML nested 10,000 deep": (lambda t: (t / "deep.toml").write_text("a = " + "[" * 10000 + "]" * 10000) and
                                str(t / "deep.toml"), "nested too deeply"),
    "a model of 298 GiB": (lambda t: experiment(t, 'name = "digits"', '[[model.layers]]\nunits = 200000\n' * 3 +
                                                '[[model.layers]]\nunits = 10\nactivation = "softmax"\n'),
                           "GiB available"),
    # CSV
    "CSV of 2 rows": (lambda t: csv_file(t, "a,b,y\n1,2,0\n3,4,1\n"), "data.test_split"),
    "CSV of 3 rows": (lambda t: csv_file(t, "a,b,y\n1,2,0\n3,4,1\n5,6,0\n"), "data.validation_split"),
    "CSV with 1_000": (lambda t: csv_file(t, "a,b,y\n1_000,2,0\n" + ROWS), "line 2, column 1 (a): not a number"),
    "corrupt deflate in .csv.gz": (lambda t: csv_file(t, _corrupt_gzip(), "data.csv.gz"), "data.csv.gz: cannot read"),
    "20,000 columns over a million blank lines": (
        lambda t: csv_file(t, ",".join(str(i) for i in range(20000)) + "\n" + "\n" * 1_000_000), "data.csv"),
    "a text target of one class": (lambda t: csv_file(t, "a,b,y\n" + "1,2,cat\n" * 30), "single class"),
    "a missing value": (lambda t: csv_file(t, "a,b,y\n1,,0\n" + ROWS), "line 2, column 2 (b): missing value"),
    "a ragged row": (lambda t: csv_file(t, "a,b,y\n1,2\n" + ROWS), "line 2 has 2 fields, expected 3"),
    "not UTF-8": (lambda t: csv_file(t, b"a,b,y\n\xff\xfe,1,0\n"), "not UTF-8"),
    # NPZ
    "truncated NPZ": (lambda t: npz_file(t, _good_npz()[:300]), "data.npz: not a readable .npz"),
    "NPZ with a bad member CRC": (lambda t: npz_file(t, _flip_member_byte(_good_npz())), "Bad CRC"),
    "NPZ declaring 10^12 elements": (lambda t: npz_file(t, _declared_huge()), "GiB available"),
    "NPZ x with 0 rows": (lambda t: npz_file(t, {"x": np.zeros((0, 3)), "y": np.zeros(0)}), "x has no rows"),
    "NPZ x with 0 features": (lambda t: npz_file(t, {"x": np.zeros((10, 0)), "y": np.arange(10) % 2}),
                              "x has no features"),
    "NPZ complex y": (lambda t: npz_file(t, {"x": np.ones((10, 3)), "y": np.arange(10) % 2 + 1j}), "complex"),
    "NPZ without y": (lambda t: npz_file(t, {"x": np.ones((10, 3))}), "no array 'y'"),
    "NPZ that is text": (lambda t: npz_file(t, b"x,y\n1,2\n"), "not a zip file"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_exits_2_naming_what_is_wrong(case, tmp_path, capsys):
    make, fragment = CASES[case]
    path = make(tmp_path)
    code = main(["train", path, "--report", str(tmp_path / "run"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment in err, err
    assert "Traceback" not in err and "unexpected error" not in err, err
    assert not (tmp_path / "run").exists(), "nothing written for a run that could not start"


# -- inputs that used to give a wrong result ------------------------------------------------------

def _train_csv(tmp_path, text, capsys):
    path = csv_file(tmp_path, text)
    code = main(["train", path, "--report", str(tmp_path / "run"), "--quiet"])
    return code, capsys.readouterr()


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path, capsys):
    import json

    code, out = _train_csv(tmp_path, "\ufeffa,b,y\n" + ROWS, capsys)
    assert code == 0, out.err
    exp = (tmp_path / "run" / "experiment.toml").read_text()
    assert "\ufeff" not in exp
    from engine.data.tabular import read_csv

    assert read_csv(tmp_path / "data.csv").feature_names == ["a", "b"]
    # with no header, a BOM does not make the first row a header: all 40 rows are data
    (tmp_path / "nh.csv").write_text("\ufeff" + ROWS, encoding="utf-8")
    assert len(read_csv(tmp_path / "nh.csv").x) == 40
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["test_accuracy"] is not None


def test_cr_only_line_endings_read_every_row(tmp_path):
    from engine.data.tabular import read_csv

    (tmp_path / "cr.csv").write_bytes(("a,b,y\r" + ROWS.replace("\n", "\r")).encode())
    t = read_csv(tmp_path / "cr.csv")
    assert t.x.shape == (40, 2) and t.feature_names == ["a", "b"]


def test_values_near_float32_max_scale_without_overflow(tmp_path, capsys):
    big = "a,b,y\n" + "".join(f"{3.3e38 if i % 2 else -3.3e38},{i},{i % 2}\n" for i in range(40))
    code, out = _train_csv(tmp_path, big, capsys)
    assert code == 0, out.err
    import json

    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test_loss"] is not None and np.isfinite(metrics["test_loss"]), metrics


def test_labels_with_markup_and_escape_sequences_are_shown_as_text(tmp_path, capsys):
    rows = "".join(f"{i % 7},{i % 5},{['[/bold]', chr(27) + ']0;owned' + chr(7) + '|x'][i % 2]}\n" for i in range(60))
    code, out = _train_csv(tmp_path, "a,b,label\n" + rows, capsys)
    assert code == 0, out.err
    report = (tmp_path / "run" / "report.md").read_text()
    assert "\x1b" not in report and "\x07" not in report
    assert "\\x1b]0;owned\\x07\\|x" in report            # shown, escaped, and the table's | kept
    assert main(["report", str(tmp_path / "run")]) == 0
    shown = capsys.readouterr().out
    assert "\x1b]0" not in shown and "[/bold]" in shown


# -- model files for model.transfer_from ----------------------------------------------------------

@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("source") / "run"
    assert main(["train", "examples/digits.toml", "--epochs", "1", "--report", str(folder), "--quiet"]) == 0
    return folder / "model.npz"


def _model_variants(src):
    z = dict(np.load(src))
    out = {}

    def drop(key):
        d = dict(z)
        d.pop(key)
        return _npz_bytes(**d)

    out["no __input_dim__"] = (drop("__input_dim__"), "no __input_dim__")
    out["an unexpected key"] = (_npz_bytes(**z, foo=np.zeros(3)), "unexpected array 'foo'")
    out["string kernels"] = (_npz_bytes(**{**z, "0.kernel": np.array(["a"] * 4)}), "finite real numbers")
    out["complex kernels"] = (_npz_bytes(**{**z, "0.kernel": z["0.kernel"] + 1j}), "finite real numbers")
    out["no weights"] = (_npz_bytes(**{k: v for k, v in z.items() if k.startswith("__")}), "holds no weights")
    raw = open(src, "rb").read()
    out["truncated"] = (raw[: len(raw) // 2], "not an nntui model file")
    out["corrupt"] = (_flip_member_byte(raw), "not an nntui model file")
    out["a text file"] = (b"just some text\n", "not an nntui model file")
    return out


@pytest.mark.parametrize("variant", ["no __input_dim__", "an unexpected key", "string kernels", "complex kernels",
                                     "no weights", "truncated", "corrupt", "a text file"])
def test_a_bad_model_file_for_transfer_is_named(variant, saved_model, tmp_path, capsys):
    import engine

    content, fragment = _model_variants(saved_model)[variant]
    bad = tmp_path / "model.npz"
    bad.write_bytes(content)
    text = (saved_model.parent / "experiment.toml").read_text().replace("[model]", f'[model]\ntransfer_from = "{bad}"')
    (tmp_path / "t.toml").write_text(text)
    code = main(["train", str(tmp_path / "t.toml"), "--report", str(tmp_path / "run"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and str(bad) in err and "model.transfer_from" in err, err
    with pytest.raises(engine.SpecError, match=fragment.replace("(", r"\(")):
        engine.load_model(bad)


# -- run folders for nntui report -----------------------------------------------------------------

@pytest.mark.parametrize("name,content,fragment", [
    ("metrics.json", b"\x00\xff\x13binary", "metrics.json: not UTF-8"),
    ("metrics.json", b"[1, 2]", "expected a JSON object"),
    ("metrics.json", b"{\"test_loss\": ", "metrics.json: not valid JSON"),
    ("history.csv", b"\x00\xff\x13binary", "history.csv: not UTF-8"),
    ("history.csv", b"1,0.5,0.5,0.5,0.5,0.01,1\n", "history.csv: line 1 must be the header"),
    ("history.csv", b"epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\nx,y\n1,2,3,4,5,6,7\n", "line 2"),
    ("events.jsonl", b"\x00\xff\x13binary", "events.jsonl: not UTF-8"),
    ("events.jsonl", b"[1]\n{\"event\": \"x\"}\n", "events.jsonl: line 1 is not an event"),
])
def test_a_damaged_run_folder_is_named_by_file(name, content, fragment, saved_model, tmp_path, capsys):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(saved_model.parent, folder)
    (folder / name).write_bytes(content)
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err, err


def test_a_history_cut_off_mid_line_still_reports(saved_model, tmp_path, capsys):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(saved_model.parent, folder)
    with open(folder / "history.csv", "a") as fh:
        fh.write("2,0.4")                      # the line a killed run was writing
    assert main(["report", str(folder)]) == 0, capsys.readouterr().err


# -- the command line itself ----------------------------------------------------------------------

def test_a_mistyped_command_is_not_opened_as_a_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["trian"]) == 2
    assert "did you mean 'nntui train'" in capsys.readouterr().err
    assert main(["bogus"]) == 2
    assert "unknown command 'bogus'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir()), "no file was created"
