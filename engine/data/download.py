"""Download the IDX datasets into the cache, verified: each file streams into a temporary file
beside its target while its sha256 is computed, and is renamed into place only if the digest
matches the published one, so an interrupted or corrupt transfer never becomes a cached file.
Mirrors are tried in order; $NNTUI_MIRROR (comma-separated base URLs) goes first."""

from __future__ import annotations

import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from ..errors import DataError
from .cache import FILES, SHA256, cache_root, is_cached, sha256_of  # noqa: F401  (is_cached: re-exported)

MIRRORS = {
    "fashion-mnist": ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
                      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"),
}
HOME = {"fashion-mnist": "https://github.com/zalandoresearch/fashion-mnist",
        "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/"}

#: progress(file name, bytes done, bytes total or 0 if unknown)
Progress = Callable[[str, int, int], None]


def mirrors_for(name: str) -> list[str]:
    extra = [m.strip() for m in os.environ.get("NNTUI_MIRROR", "").split(",") if m.strip()]
    return extra + list(MIRRORS[name])


def fetch(name: str, folder: Path | None = None, mirrors: list[str] | None = None,
          checksums: dict[str, str] | None = None, progress: Progress | None = None,
          timeout: float = 30.0) -> Path:
    """Make sure ``folder`` (default: the cache) holds ``name``'s four verified files; returns it."""
    folder = Path(folder) if folder else cache_root() / name
    checksums = checksums or SHA256[name]
    mirrors = mirrors or mirrors_for(name)
    folder.mkdir(parents=True, exist_ok=True)
    for fname in FILES:
        dest = folder / fname
        if dest.is_file() and sha256_of(dest) == checksums[fname]:
            continue
        _download(name, fname, dest, mirrors, checksums[fname], progress, timeout)
    return folder


def _download(name, fname, dest: Path, mirrors, sha256, progress, timeout) -> None:
    errors = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + fname
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        try:
            _stream(url, tmp, sha256, fname, progress, timeout)
            os.replace(tmp, dest)
            return
        except (urllib.error.URLError, http.client.HTTPException, OSError, _Mismatch) as exc:
            errors.append(f"{url}: {getattr(exc, 'reason', None) or exc}")
        finally:
            tmp.unlink(missing_ok=True)
    raise DataError(
        f"{name}: could not download {fname} from any mirror ({'; '.join(errors)}). Offline? Place the "
        f"four published files ({', '.join(FILES)}, from {HOME[name]}) in {dest.parent} by hand, or set "
        "data.path to a folder holding them.")


class _Mismatch(Exception):
    pass


def _stream(url, tmp: Path, sha256: str, fname: str, progress, timeout) -> None:
    h = hashlib.sha256()
    done, last = 0, 0.0
    with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as out:
        total = int(resp.headers.get("Content-Length") or 0)
        while True:
            block = resp.read(1 << 16)
            if not block:
                break
            out.write(block)
            h.update(block)
            done += len(block)
            now = time.monotonic()
            if progress and now - last >= 0.1:
                last = now
                progress(fname, done, total)
    if total and done != total:
        raise _Mismatch(f"transfer ended after {done:,} of {total:,} bytes")
    if h.hexdigest() != sha256:
        raise _Mismatch(f"sha256 {h.hexdigest()} is not the published {sha256}")
    if progress:
        progress(fname, done, total or done)
