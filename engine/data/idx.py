"""IDX image sets (Fashion-MNIST, MNIST) from a local folder, verified against the published
sha256 of each file before use and never modified."""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
from pathlib import Path

import numpy as np

from ..errors import DataError

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

#: sha256 of the files the datasets' authors publish (Fashion-MNIST: zalandoresearch; MNIST: LeCun et al.)
SHA256 = {
    "fashion-mnist": dict(zip(FILES, (
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"))),
    "mnist": dict(zip(FILES, (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"))),
}


def cache_root() -> Path:
    """Where datasets live: $NNTUI_DATA_DIR, else the platform's user cache folder."""
    if os.environ.get("NNTUI_DATA_DIR"):
        return Path(os.environ["NNTUI_DATA_DIR"]).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "nntui"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "nntui" / "Cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nntui"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
