"""IDX image sets (Fashion-MNIST, MNIST) from a local folder, verified against the published
sha256 of each file before use and never modified."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ..errors import DataError
from .cache import FILES, SHA256, cache_root, sha256_of  # noqa: F401  (FILES, SHA256: re-exported)


def _read_idx(path: Path, magic: int, ndim: int) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    head = np.frombuffer(raw, dtype=">u4", count=1 + ndim)
    if int(head[0]) != magic:
        raise DataError(f"{path}: not an IDX file of the expected kind (magic {int(head[0]):#010x}, "
                        f"expected {magic:#010x})")
    shape = tuple(int(d) for d in head[1:])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 * (1 + ndim))
    if data.size != int(np.prod(shape)):
        raise DataError(f"{path}: truncated: header says {shape}, file holds {data.size} values")
    return data.reshape(shape)


def locate(name: str, path: str) -> Path:
    """The folder holding ``name``'s four files: ``path`` if given, else the cache."""
    folder = Path(path).expanduser() if path else cache_root() / name
    missing = [f for f in FILES if not (folder / f).is_file()]
    if missing:
        how = ("set data.path to a folder holding them" if not path else "check data.path")
        raise DataError(f"{name}: {folder} lacks {', '.join(missing)}. Place the four published files "
                        f"({', '.join(FILES)}) in {folder}, or {how}.")
    return folder


def load_idx(name: str, path: str = ""):
    """(x_train, y_train, x_test, y_test) as uint8 images (n, 28, 28) and labels, after checking
    every file's sha256 against the published one."""
    folder = locate(name, path)
    for fname in FILES:
        digest = sha256_of(folder / fname)
        if digest != SHA256[name][fname]:
            raise DataError(f"{folder / fname}: sha256 {digest} does not match the published "
                            f"{name} file ({SHA256[name][fname]}); the file is corrupt or not {name}")
    x_train = _read_idx(folder / FILES[0], 0x803, 3)
    y_train = _read_idx(folder / FILES[1], 0x801, 1)
    x_test = _read_idx(folder / FILES[2], 0x803, 3)
    y_test = _read_idx(folder / FILES[3], 0x801, 1)
    return x_train, y_train, x_test, y_test
