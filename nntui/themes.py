"""Colour palettes from themes/*.toml, registered as Textual themes; the chosen theme is
remembered in the user's config folder."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import tomli_w
from textual.theme import Theme

from engine.atomic import write_text_atomic

DEFAULT = "nntui-dark"


def themes_dir() -> Path:
    """The palettes: inside the installed package (wheel), or the repository's themes/ (editable)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "themes", here.parent / "themes"):
        if candidate.is_dir():
            return candidate
    return here / "themes"


#: the plot markers where a theme names none: best epoch, early stop, no improvement
MARKERS = {"best": "^", "stop": "x", "no_improvement": "o"}


def load_themes() -> dict[str, tuple[Theme, dict, dict]]:
    """name -> (Theme, series colours, plot markers) for every palette file."""
    out = {}
    for path in sorted(themes_dir().glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        series = raw.pop("series", {})
        markers = {**MARKERS, **raw.pop("markers", {})}
        name = raw.pop("name", path.stem)
        out[name] = (Theme(name=name, variables=raw.pop("variables", {}), **raw), series, markers)
    return out


def config_file() -> Path:
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif os.name == "nt":
        base = Path(os.environ.get("APPDATA", Path.home()))
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "nntui" / "settings.toml"


def load_settings() -> dict:
    try:
        return tomllib.loads(config_file().read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def save_setting(key: str, value) -> None:
    settings = load_settings()
    settings[key] = value
    try:
        write_text_atomic(config_file(), tomli_w.dumps(settings))
    except OSError:
        pass  # a read-only home must not break the app
