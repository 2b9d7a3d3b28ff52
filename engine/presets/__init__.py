"""Built-in experiments reproducing the classic material's models, one TOML file each."""

from __future__ import annotations

from importlib import resources

from ..errors import SpecError
from ..spec import Experiment


def _files() -> dict:
    return {p.name[:-5]: p for p in resources.files(__package__).iterdir() if p.name.endswith(".toml")}


def preset_names() -> list[str]:
    return sorted(_files())


def preset_text(name: str) -> str:
    """The preset's file as written (its comments and layout, for a copy that keeps them)."""
    files = _files()
    if name not in files:
        raise SpecError("--preset", f"unknown preset {name!r}; valid: {', '.join(sorted(files))}")
    return files[name].read_text(encoding="utf-8")


def load_preset(name: str) -> Experiment:
    return Experiment.from_toml_string(preset_text(name), source=f"preset {name}")


def list_presets() -> list[Experiment]:
    return [load_preset(n) for n in preset_names()]
