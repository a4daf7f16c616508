"""The user's cache folder: results computed once per content hash, and jax's compilation cache.

Folder: ``$QCHIPNET_CACHE_DIR``, else ``$XDG_CACHE_HOME/qchipnet``, else ``~/.cache/qchipnet``.
Everything here is an optimisation: a missing, corrupt or unwritable cache only means recomputing.
Nothing is downloaded.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

__all__ = ["cache_dir", "content_key", "cached_json", "enable_compilation_cache"]


def cache_dir() -> Path:
    """The qchipnet cache folder (not created)."""
    base = os.environ.get("QCHIPNET_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "qchipnet")
    return Path(base)


def content_key(obj: Any) -> str:
    """SHA-256 (24 hex) of the canonical JSON of ``obj`` plus the qchipnet version and the source of the
    physics packages (:func:`code_fingerprint`), so that an edited model never reads a stale cache."""
    from .. import __version__

    blob = json.dumps({"obj": obj, "qchipnet": __version__, "code": code_fingerprint()}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 (16 hex) of the source files of the packages whose results are cached (models, circuits,
    system, pdk process data): a cached result belongs to the code that computed it."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for sub in ("models", "circuits", "system", "pdk"):
        for f in sorted((root / sub).rglob("*.py")):
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cached_json(kind: str, key: str, compute: Callable[[], dict]) -> dict:
    """``compute()`` once per ``key``: read from ``<cache>/<kind>/<key>.json`` when present and
    readable, else compute and write it atomically (a failed write is ignored)."""
    path = cache_dir() / kind / f"{key}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    out = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(out, f)
        os.replace(tmp, path)
    except OSError:
        pass
    return out


def enable_compilation_cache(path: str | Path | None = None) -> Path | None:
    """Turn on jax's persistent compilation cache (the evaluators' compiled programs are reused by
    the next process: ``qchipnet ring`` pays its XLA compile once per machine, not once per call).

    Folder: ``path``, else ``<cache>/jax``. ``QCHIPNET_JAX_CACHE=0`` turns it off; a folder that
    cannot be created leaves it off. Returns the folder or None.
    """
    if os.environ.get("QCHIPNET_JAX_CACHE", "1") == "0":
        return None
    path = Path(path) if path is not None else cache_dir() / "jax"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    settings = {"jax_compilation_cache_dir": str(path), "jax_persistent_cache_min_compile_time_secs": 0.0,
                "jax_persistent_cache_min_entry_size_bytes": 0}
    if "jax" in sys.modules:
        for k, v in settings.items():
            sys.modules["jax"].config.update(k, v)
    else:  # read by jax when it is first imported: commands that never use jax do not pay its import
        for k, v in settings.items():
            os.environ.setdefault(k.upper(), str(v))
        # XLA's CPU loader logs a spurious "machine feature +prefer-no-gather not supported" error
        # for every cached program (a tuning pseudo-feature, not an instruction set): keep stderr clean
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return path
