"""`nntui serve` in a real browser: the server starts on 127.0.0.1, headless Chromium (Debian's
package, driven by Playwright through its executable path) opens the page, the app's Build
screen comes up, `t` trains, and the run appears in the server's runs/ as the dashboard trains
it. A screenshot of the dashboard is kept (NNTUI_SERVE_SHOT names where; else the test's folder).
Skips with the reason where Chromium, Playwright or textual-serve is missing."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or "")
                 if p and Path(p).exists()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


def test_the_app_trains_in_a_browser(tmp_path):
    pytest.importorskip("textual_serve", reason="textual-serve is not installed")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if CHROMIUM is None:
        pytest.skip("no Chromium here (Debian: apt-get install chromium; .ci/run installs it)")
    port = free_port()
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("NO_COLOR", None)
    server = subprocess.Popen([sys.executable, "-m", "nntui", "serve", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.goto(f"http://127.0.0.1:{port}")
            page.wait_for_selector(".xterm-screen", timeout=30_000)
            runs = tmp_path / "runs"
            deadline = time.monotonic() + 60
            while not (runs.is_dir() and any(runs.iterdir())):     # t once the Build screen takes keys
                assert time.monotonic() < deadline, "t never started a run"
                page.locator(".xterm-helper-textarea").focus()
                page.keyboard.press("t")
                time.sleep(1.0)
            folder = next(runs.iterdir())
            deadline = time.monotonic() + 120
            while not (folder / "metrics.json").exists():
                assert time.monotonic() < deadline, "the run never finished"
                time.sleep(0.5)
            time.sleep(1.0)
            shot = Path(os.environ.get("NNTUI_SERVE_SHOT", tmp_path / "dashboard.png"))
            page.screenshot(path=str(shot))
            browser.close()
        metrics = json.loads((folder / "metrics.json").read_text())
        assert metrics["epochs_run"] == 20 and metrics["test_accuracy"] > 0.8
        assert shot.stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serving_beyond_this_machine_is_warned_about(tmp_path):
    pytest.importorskip("textual_serve", reason="textual-serve is not installed")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "nntui", "serve", "--host", "0.0.0.0", "--port", str(port)],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=10)
    assert "anyone who can reach port" in err and f"ssh -L {port}:127.0.0.1:{port}" in err
    r = subprocess.run([sys.executable, "-m", "nntui", "serve", "notes.txt"], capture_output=True, text=True)
    assert r.returncode == 2 and "not an experiment file" in r.stderr
