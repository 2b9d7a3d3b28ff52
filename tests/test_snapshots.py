"""The Build screen as it looks, at 80x24 and 120x40, in a dark and a light theme
(pytest-textual-snapshot; `pytest --snapshot-update` after an intended change)."""

import pytest

from nntui.app import make_app
from nntui.themes import save_setting


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("theme", ["nntui-dark", "nntui-light"])
def test_build_screen(snap_compare, monkeypatch, tmp_path, size, theme):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    save_setting("theme", theme)
    assert snap_compare(make_app(), terminal_size=size)
