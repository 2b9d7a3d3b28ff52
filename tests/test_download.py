"""First-use downloads against a real HTTP server on 127.0.0.1 serving generated IDX files."""

import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

import engine
from engine import DataError
from engine.data import download
from engine.data.idx import FILES


def idx_files(n=50, seed=0):
    """The four gzipped IDX files of a tiny made-up dataset, and their sha256."""
    rng = np.random.default_rng(seed)
    parts = {}
    for fname, count in zip(FILES, (n, n, 20, 20)):
        if "images" in fname:
            head = np.array([0x803, count, 28, 28], ">u4").tobytes()
            body = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8).tobytes()
        else:
            head = np.array([0x801, count], ">u4").tobytes()
            body = (np.arange(count) % 10).astype(np.uint8).tobytes()
        parts[fname] = gzip.compress(head + body)
    return parts, {f: hashlib.sha256(b).hexdigest() for f, b in parts.items()}


class Server:
    """/good/F serves F; /bad/F serves other bytes; /trunc/F promises more bytes than it sends;
    /error/F answers 500. Every request is logged."""

    def __init__(self, files):
        self.files, self.log = files, []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                mode, _, fname = self.path.strip("/").partition("/")
                owner.log.append(self.path)
                body = owner.files.get(fname)
                if body is None or mode == "error":
                    self.send_error(500 if mode == "error" else 404)
                    return
                if mode == "bad":
                    body = body[:-10] + b"0123456789"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) + (1000 if mode == "trunc" else 0)))
                self.end_headers()
                self.wfile.write(body)
                if mode == "trunc":
                    self.wfile.flush()
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    files, sums = idx_files()
    srv = Server(files)
    srv.sums = sums
    yield srv
    srv.close()


def test_download_verifies_and_caches(server, tmp_path):
    seen = []
    folder = download.fetch("mnist", tmp_path / "mnist", [server.base + "/good/"], server.sums,
                            progress=lambda f, done, total: seen.append((f, done, total)))
    for f in FILES:
        assert (folder / f).read_bytes() == server.files[f]
    assert {f for f, _, _ in seen} == set(FILES) and all(done == total for f, done, total in seen[-1:])
    n = len(server.log)
    download.fetch("mnist", folder, [server.base + "/good/"], server.sums)
    assert len(server.log) == n, "the cache was not reused"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)


def test_checksum_mismatch_never_becomes_a_cached_file(server, tmp_path):
    with pytest.raises(DataError, match=r"sha256 [0-9a-f]{64} is not the published"):
        download.fetch("mnist", tmp_path, [server.base + "/bad/"], server.sums)
    assert list(tmp_path.iterdir()) == []


def test_truncated_transfer_never_becomes_a_cached_file(server, tmp_path):
    with pytest.raises(DataError, match=r"could not download train-images-idx3-ubyte\.gz"):
        download.fetch("mnist", tmp_path, [server.base + "/trunc/"], server.sums, timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_server_error_then_next_mirror(server, tmp_path):
    folder = download.fetch("fashion-mnist", tmp_path, [server.base + "/error/", server.base + "/good/"],
                            server.sums)
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    assert server.log[0].startswith("/error/") and server.log[1].startswith("/good/")


def test_first_use_through_load_data_and_the_trainer(server, tmp_path, monkeypatch):
    """engine.train on a dataset not yet cached: downloads (reporting progress as events) from the
    configured mirror into $NNTUI_DATA_DIR, then trains."""
    monkeypatch.setenv("NNTUI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NNTUI_MIRROR", server.base + "/good/")
    monkeypatch.setitem(download.MIRRORS, "mnist", ("http://127.0.0.1:9/",))
    monkeypatch.setitem(download.SHA256, "mnist", server.sums)   # the table load_data verifies against
    exp = engine.Experiment.from_dict({"data": {"name": "mnist", "validation_split": 0.2},
                                       "model": {"layers": [{"units": 10, "activation": "softmax"}]},
                                       "train": {"epochs": 1}})
    events = []
    result = engine.train(exp, on_event=events.append, backend="numpy")
    assert [e.kind for e in events][0] == "download"
    assert result.metrics["epochs_run"] == 1 and len(result.data.x_test) == 20
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(FILES)


def test_datasets_command_lists_and_fetches(server, tmp_path, monkeypatch, capsys):
    from nntui.cli import main

    monkeypatch.setenv("NNTUI_DATA_DIR", str(tmp_path))
    monkeypatch.setitem(download.MIRRORS, "mnist", ("http://127.0.0.1:9/",))
    monkeypatch.setitem(download.SHA256, "mnist", server.sums)
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "mnist" in out and "not cached: downloads on first use" in out and "embedded" in out
    assert main(["datasets", "fetch", "mnist", "--mirror", server.base + "/good/"]) == 0
    out = capsys.readouterr().out
    assert f"mnist: verified and cached in {tmp_path / 'mnist'}" in out
    assert "downloading train-images-idx3-ubyte.gz" in out and "\x1b" not in out   # plain lines off a terminal
    main(["datasets"])
    assert f"cached in {tmp_path / 'mnist'}" in capsys.readouterr().out
    assert main(["datasets", "fetch", "digits"]) == 2
    assert "not downloadable" in capsys.readouterr().err
