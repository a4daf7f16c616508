"""Run directory of a yield study: a manifest and one Parquet file per finished chunk.

Layout::

    DIR/manifest.json          seed, platform, dies, spec, process data, versions, design, chunk plan
    DIR/chunks/c00000.parquet  one file per finished chunk, written atomically (tmp + rename)
    DIR/dies.parquet           all dies, concatenated in chunk order when the study completes
    DIR/summary.json           the study summary (what ``qchipnet yield --json`` prints)

A chunk file exists only when its chunk is complete, so an interrupted run (Ctrl-C, a killed
process) keeps every finished chunk and ``resume`` computes only the missing ones.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from ..validate import InputError

__all__ = ["RunStore", "MANIFEST_KEYS_MUST_MATCH"]

#: Manifest entries that must be identical for a run to be resumed.
MANIFEST_KEYS_MUST_MATCH = ("platform", "dies", "seed", "spec", "process", "chunk_plan", "design")


class RunStore:
    """Files of one study in ``root``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.chunk_dir = self.root / "chunks"

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def open(self, manifest: dict, resume: bool) -> None:
        """Create the run directory, or check that ``manifest`` matches the one being resumed."""
        if self.manifest_path.exists():
            if not resume:
                raise InputError(f"run directory {str(self.root)!r} already holds a study; pass --resume to continue it "
                                 "or choose another --out")
            old = json.loads(self.manifest_path.read_text())
            for key in MANIFEST_KEYS_MUST_MATCH:
                if json.dumps(old.get(key), sort_keys=True) != json.dumps(manifest.get(key), sort_keys=True):
                    raise InputError(f"cannot resume {str(self.root)!r}: {key!r} differs from the interrupted run "
                                     f"({str(old.get(key))[:80]} vs {str(manifest.get(key))[:80]})")
            return
        if self.root.exists() and any(self.root.iterdir()) and not resume:
            raise InputError(f"output directory {str(self.root)!r} exists and is not empty")
        self.chunk_dir.mkdir(parents=True, exist_ok=True)
        self._atomic_write(self.manifest_path, json.dumps(manifest, indent=2, sort_keys=True).encode())

    def chunk_path(self, index: int) -> Path:
        return self.chunk_dir / f"c{index:05d}.parquet"

    def done_chunks(self) -> set[int]:
        if not self.chunk_dir.exists():
            return set()
        return {int(p.stem[1:]) for p in self.chunk_dir.glob("c*.parquet")}

    def write_chunk(self, index: int, df: pd.DataFrame) -> None:
        tmp = self.chunk_path(index).with_suffix(".parquet.tmp")
        df.to_parquet(tmp, index=False)
        os.replace(tmp, self.chunk_path(index))

    def read_all(self, n_chunks: int) -> pd.DataFrame:
        frames = [pd.read_parquet(self.chunk_path(i)) for i in range(n_chunks)]
        return pd.concat(frames, ignore_index=True)

    def write_summary(self, summary: dict, dies: pd.DataFrame) -> None:
        dies.to_parquet(self.root / "dies.parquet", index=False)
        self._atomic_write(self.root / "summary.json", json.dumps(summary, indent=2).encode())

    @staticmethod
    def _atomic_write(path: Path, data: bytes) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
