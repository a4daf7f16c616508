"""Run directory of a yield study: a manifest, one checked Parquet file per finished chunk, a lock.

Layout::

    DIR/manifest.json          seed, platform, dies, spec, process data, versions, design, chunk plan,
                               and ``chunks``: per finished chunk its file, sha256, rows, wafers, seed
    DIR/chunks/c00000.parquet  one file per finished chunk (its identity also in the Parquet metadata)
    DIR/dies.parquet           all dies, concatenated in chunk order when the study completes
    DIR/summary.json           the study summary (what ``qchipnet yield --json`` prints)
    DIR/finished.json          written last: the study is complete (sha256 of dies.parquet and summary.json)
    DIR/.lock                  held (``flock``) by the one process writing the folder

A study whose chunk holds several tables (the network study: its pairs, networks and section
statistics) names them in ``chunk_plan["tables"]``; chunk i is then one file per table,
``chunks/c00000.<table>.parquet``, each with its own checksum and row count in the chunk's record
(``{"tables": {table: {file, sha256, rows}}, ...identity}``) and its identity plus ``table`` in its
Parquet metadata; the chunk is recorded only once all its tables are written. Its final tables are
concatenated in chunk order into ``DIR/<table>.parquet`` (:meth:`RunStore.write_concatenated`,
streamed, in row groups of a fixed size, so the bytes do not depend on the chunking).

Every file is written under a unique temporary name in its folder and renamed (``os.replace``), and
the manifest is replaced after each chunk, so an interrupted run (Ctrl-C, a killed process) keeps
every finished chunk and ``resume`` computes only the missing ones. Resuming requires the manifest
of the same study; a recorded chunk whose bytes, identity or presence do not match, or a file that
this module did not write, is refused in one line naming the file (STYLE.md, "Files are written
whole or not at all").
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pandas as pd

from ..validate import InputError

__all__ = ["MANIFEST_KEYS_MUST_MATCH", "MODES", "RunStore", "atomic_write_bytes", "atomic_write_with", "check_output_folder",
           "clear_output_folder", "folder_lock", "study_hash"]

#: Manifest entries that must be identical for a run to be resumed (``distance_km`` and ``match``: the
#: network study's; an entry absent from a manifest is left out of :func:`study_hash`, so the hash of a
#: yield study is what it was before they were added).
MANIFEST_KEYS_MUST_MATCH = ("platform", "dies", "seed", "spec", "process", "chunk_plan", "design", "distance_km", "match")
#: What to do with an existing output: refuse, continue it, or replace it.
MODES = ("new", "resume", "overwrite")
_KIND = "qchipnet-yield-study"
_CHUNK_RE = re.compile(r"^c(\d{5})(?:\.([a-z_]+))?\.parquet$")
_TMP_RE = re.compile(r"^\..+\.tmp$")
#: Names this module writes in a run folder (``--overwrite`` deletes a folder holding nothing else).
_OWN_NAMES = {"manifest.json", "chunks", "dies.parquet", "pairs.parquet", "networks.parquet", "summary.json",
              "finished.json", ".lock", "plots"}
_META_KEY = b"qchipnet_chunk"
#: Manifest entries copied into ``dies.parquet``'s metadata (``DataFrame.attrs["qchipnet_provenance"]``).
PROVENANCE_KEYS = ("kind", "format_version", "platform", "dies", "seed", "spec", "process_hash", "design",
                   "versions")
#: Rows per row group of a concatenated table (:meth:`RunStore.write_concatenated`): fixed, so the file's
#: bytes do not depend on the chunking, and small enough to stream a million-network study.
ROW_GROUP_ROWS = 1 << 17
#: Parquet writer options of chunks and concatenated tables: snappy pages without dictionary encoding. The
#: Monte Carlo's columns are continuous floats, whose dictionaries only cost time: a network chunk's pairs
#: table (16380 rows x 60 columns) is written in 11 ms instead of 25 ms and read in 9 ms instead of 21 ms,
#: and is 10 % smaller (3.5 vs 3.9 MB).
PARQUET_OPTIONS = {"use_dictionary": False}


def _short(path: Path | str) -> str:
    s = str(path)
    return repr(s if len(s) <= 160 else "..." + s[-157:])


def study_hash(manifest: dict) -> str:
    """Content hash (sha256, 16 hex) of the manifest entries that define the study's result."""
    blob = json.dumps({k: manifest.get(k) for k in MANIFEST_KEYS_MUST_MATCH if k in manifest}, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _file_mode() -> int:
    """The mode ``open()`` would give a new file (0o666 less the umask): ``mkstemp``'s private 0o600 would
    survive the rename and hide the results from the user's group."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a unique temporary file in the same folder, fsync, rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def atomic_write_with(path: str | Path, write: Callable[[Path], None]) -> str:
    """Let ``write(tmp)`` fill a unique temporary file in ``path``'s folder, fsync it, rename it to
    ``path``; returns the sha256 (hex) of what was written. For files too large to hold as bytes."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, _file_mode())
    os.close(fd)
    try:
        write(Path(tmp))
        h = hashlib.sha256()
        with open(tmp, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                h.update(block)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return h.hexdigest()


@contextlib.contextmanager
def folder_lock(folder: str | Path, what: str = "run folder"):
    """Hold an exclusive ``flock`` on ``folder/.lock`` (released when the process ends, even on a kill);
    a second process gets one line naming the holder's pid."""
    import fcntl

    folder = Path(folder)
    lock = folder / ".lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise InputError(f"{what} {_short(folder)} is being written by another process (pid {holder}); "
                             "wait for it or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield lock
    finally:
        os.close(fd)


def _is_tmp(name: str) -> bool:
    return bool(_TMP_RE.match(name))


def check_output_folder(root: str | Path, mode: str, owns, what: str = "output folder", resumable: bool = True) -> bool:
    """Decide, before anything is computed, what to do with an existing output folder ``root``.

    ``mode``: ``new`` refuses a non-empty folder (naming ``--resume``/``--overwrite``), ``overwrite``
    refuses a folder holding a name for which ``owns(name)`` is false (it would delete someone's files),
    ``resume`` accepts it (the caller checks what it resumes). A path whose nearest existing ancestor is
    a file is refused. Returns True when ``root`` holds something (besides a lock and temporaries).
    """
    root = Path(root)
    if mode not in MODES:
        raise InputError(f"mode {mode!r}: choose one of {list(MODES)}")
    anc = root
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise InputError(f"--out {_short(root)}: {_short(anc)} is a file, not a folder")
    if not root.exists():
        return False
    names = sorted(p.name for p in root.iterdir() if p.name != ".lock" and not _is_tmp(p.name))
    if not names:
        return False
    if mode == "new":
        how = f"pass --resume to continue the {what} there, --overwrite" if resumable else "pass --overwrite"
        raise InputError(f"--out {_short(root)} is not empty; {how} to replace it, or choose another --out")
    if mode == "overwrite":
        foreign = [n for n in names if not owns(n)]
        if foreign:
            raise InputError(f"--overwrite refuses to delete {_short(root)}: it holds {foreign[0][:80]!r}, which qchipnet "
                             "did not write; choose another --out")
    return True


def clear_output_folder(root: str | Path, owns) -> None:
    """Delete what ``owns`` names in ``root`` (and temporaries), keeping the lock file."""
    root = Path(root)
    if not root.exists():
        return
    for p in root.iterdir():
        if p.name != ".lock" and (owns(p.name) or _is_tmp(p.name)):
            shutil.rmtree(p) if p.is_dir() else p.unlink()


def _plan_tables(manifest: dict) -> tuple[str | None, ...]:
    """Tables of a chunk: ``chunk_plan["tables"]``, or ``(None,)`` for one unnamed table per chunk."""
    tables = (manifest.get("chunk_plan") or {}).get("tables")
    return tuple(tables) if tables else (None,)


def _record_files(rec: dict, tables: tuple, manifest_path: Path) -> dict:
    """{table: {file, sha256, rows}} of a chunk record; a record that does not name exactly the plan's
    tables is refused in one line."""
    files = rec.get("tables") if tables != (None,) else {None: rec}
    if not isinstance(files, dict) or set(files) != set(tables) or not all(isinstance(v, dict) for v in files.values()):
        raise InputError(f"{_short(manifest_path)}: chunk {rec.get('chunk')!r} does not record the tables "
                         f"{[t for t in tables if t]} (corrupted manifest)")
    return files


def _parquet_bytes(df: pd.DataFrame, ident: dict) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[_META_KEY] = json.dumps(ident, sort_keys=True).encode()
    buf = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buf, **PARQUET_OPTIONS)
    return buf.getvalue()


class RunStore:
    """Files of one study in ``root``.

    Use :meth:`check` (read-only: decides about an existing folder before anything is computed), then
    ``with store.open(manifest, mode):`` (locks and prepares the folder), :meth:`write_chunk`,
    :meth:`read_all` and :meth:`write_summary`.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.chunk_dir = self.root / "chunks"
        self._manifest: dict | None = None

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    @property
    def finished_path(self) -> Path:
        return self.root / "finished.json"

    # ------------------------------------------------------------------ deciding about an existing folder
    def _read_manifest(self) -> dict | None:
        if not self.manifest_path.exists():
            return None
        try:
            old = json.loads(self.manifest_path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, OSError):
            raise InputError(f"{_short(self.manifest_path)} is not a readable manifest (corrupted); "
                             "use --overwrite to start the study again") from None
        if not isinstance(old, dict) or old.get("kind") != _KIND:
            raise InputError(f"{_short(self.manifest_path)} is not the manifest of a qchipnet yield study; "
                             "choose another --out")
        return old

    def _entries(self) -> list[str]:
        """Names in the folder other than the lock file and temporaries of a killed writer."""
        return [p.name for p in self.root.iterdir() if p.name != ".lock" and not _TMP_RE.match(p.name)]

    def _foreign_names(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.name not in _OWN_NAMES and not _TMP_RE.match(p.name))

    def check(self, manifest: dict, mode: str = "new") -> None:
        """Refuse, in one line, an output that ``mode`` cannot use; writes nothing."""
        if mode not in MODES:
            raise InputError(f"mode {mode!r}: choose one of {list(MODES)}")
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"--out {_short(self.root)} is a file; give a folder")
        if not self.root.exists() or not self._entries():
            anc = self.root
            while not anc.exists() and anc != anc.parent:
                anc = anc.parent
            if not anc.is_dir():
                raise InputError(f"--out {_short(self.root)}: {_short(anc)} is a file, not a folder")
            return
        if mode == "new":
            what = "already holds a yield study" if self.manifest_path.exists() else "exists and is not empty"
            raise InputError(f"--out {_short(self.root)} {what}; pass --resume to continue it, --overwrite to "
                             "replace it, or choose another --out")
        if mode == "overwrite":
            foreign = self._foreign_names()
            if foreign:
                raise InputError(f"--overwrite refuses to delete {_short(self.root)}: it holds {foreign[0]!r}, which "
                                 "is not part of a qchipnet yield study; choose another --out")
            return
        old = self._read_manifest()
        if old is None:
            raise InputError(f"cannot resume {_short(self.root)}: it has no manifest.json (not a yield study, or its "
                             "manifest was deleted); use --overwrite to start again or choose another --out")
        for key in MANIFEST_KEYS_MUST_MATCH:
            if json.dumps(old.get(key), sort_keys=True) != json.dumps(manifest.get(key), sort_keys=True):
                raise InputError(f"cannot resume {_short(self.root)}: {key!r} differs from the interrupted run "
                                 f"({str(old.get(key))[:60]} vs {str(manifest.get(key))[:60]}); use --overwrite "
                                 "or another --out")
        self._verify_folder(old)

    def _verify_folder(self, old: dict) -> None:
        """Every recorded chunk present with its checksum; nothing in ``chunks/`` that was not written here."""
        recorded = old.get("chunks") or {}
        if not isinstance(recorded, dict):
            raise InputError(f"{_short(self.manifest_path)}: 'chunks' is not a mapping (corrupted manifest)")
        n_chunks = (old.get("chunk_plan") or {}).get("n_chunks", 0)
        tables = _plan_tables(old)
        for key, rec in recorded.items():
            if not (isinstance(rec, dict) and str(key).isdigit() and int(key) < n_chunks):
                raise InputError(f"{_short(self.manifest_path)}: chunk record {str(key)[:20]!r} is not valid "
                                 "(corrupted manifest)")
            for table, frec in _record_files(rec, tables, self.manifest_path).items():
                self._checked_bytes(int(key), frec, table)
        if self.chunk_dir.exists():
            for p in sorted(self.chunk_dir.iterdir()):
                m = _CHUNK_RE.match(p.name)
                if _TMP_RE.match(p.name):
                    continue  # a temporary file of a killed writer: replaced, never read
                if not m or int(m.group(1)) >= n_chunks or m.group(2) not in tables or not p.is_file():
                    raise InputError(f"{_short(p)} is not a chunk of this study (stray file); remove it or use "
                                     "--overwrite")

    # ------------------------------------------------------------------ opening the folder for writing
    @contextlib.contextmanager
    def open(self, manifest: dict, mode: str = "new"):
        """Lock the folder, prepare it for ``mode`` and keep the lock while the body runs. A new study
        that fails before its first chunk is finished leaves nothing behind."""
        self.check(manifest, mode)
        existed = self.root.exists()
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with folder_lock(self.root, "run folder"):
                self.check(manifest, mode)  # again under the lock: another process may have written meanwhile
                if mode == "resume" and self.manifest_path.exists():
                    old = self._read_manifest()
                    self._manifest = {**manifest, "chunks": old.get("chunks") or {}}
                else:
                    if mode == "overwrite":
                        self._clear()
                    self._manifest = {**manifest, "chunks": {}}
                self.chunk_dir.mkdir(exist_ok=True)
                self._remove_temporaries()
                self.finished_path.unlink(missing_ok=True)
                self._write_manifest()
                fresh = not self._manifest["chunks"]
                try:
                    yield self
                except BaseException:
                    if fresh and not self._manifest["chunks"]:
                        self._clear()
                        (self.root / ".lock").unlink(missing_ok=True)
                    raise
        except BaseException:
            if not existed and self.root.is_dir() and not any(self.root.iterdir()):
                self.root.rmdir()
            raise

    def _clear(self) -> None:
        for p in self.root.iterdir():
            if p.name == ".lock":
                continue
            if p.name in _OWN_NAMES or _TMP_RE.match(p.name):
                shutil.rmtree(p) if p.is_dir() else p.unlink()

    def _remove_temporaries(self) -> None:
        for folder in (self.root, self.chunk_dir):
            for p in folder.iterdir():
                if _TMP_RE.match(p.name) and p.is_file():
                    p.unlink()

    def _write_manifest(self) -> None:
        atomic_write_bytes(self.manifest_path, json.dumps(self._manifest, indent=2, sort_keys=True).encode())

    # ------------------------------------------------------------------ chunks
    def chunk_path(self, index: int, table: str | None = None) -> Path:
        """File of chunk ``index`` (of its ``table`` when the study's chunks hold several tables)."""
        return self.chunk_dir / (f"c{index:05d}.parquet" if table is None else f"c{index:05d}.{table}.parquet")

    def done_chunks(self) -> set[int]:
        """Chunks recorded in the manifest as finished (a chunk file alone does not count)."""
        if self._manifest is not None:
            return {int(k) for k in self._manifest.get("chunks", {})}
        old = self._read_manifest() if self.root.is_dir() else None
        return {int(k) for k in (old or {}).get("chunks", {})} if old else set()

    def manifest_chunks(self) -> dict:
        """{str(chunk): record} of the finished chunks (checksums, rows, identity)."""
        man = self._manifest if self._manifest is not None else self._read_manifest() or {}
        return dict(man.get("chunks") or {})

    def write_chunk(self, index: int, df: pd.DataFrame | Mapping[str, pd.DataFrame], identity: dict | None = None) -> None:
        """Write chunk ``index`` atomically with its identity (e.g. wafers, seed) in the Parquet metadata,
        then record its sha256 and identity in the manifest (replaced atomically). ``df`` is one table, or
        ``{table: DataFrame}`` with exactly the tables of ``chunk_plan["tables"]``: every table is written
        before the manifest records the chunk, so a kill in between leaves the chunk to be recomputed."""
        if self._manifest is None:
            raise RuntimeError("RunStore.write_chunk outside RunStore.open")
        tables = _plan_tables(self._manifest)
        given = dict(df) if isinstance(df, Mapping) else {None: df}
        if set(given) != set(tables):
            raise RuntimeError(f"RunStore.write_chunk: tables {sorted(map(str, given))} but the chunk plan names "
                               f"{sorted(map(str, tables))}")
        ident = {"chunk": int(index), "study": study_hash(self._manifest), **(identity or {})}
        files = {}
        for table in tables:
            data = _parquet_bytes(given[table], {**ident, "table": table} if table else ident)
            atomic_write_bytes(self.chunk_path(index, table), data)
            files[table] = {"file": f"chunks/{self.chunk_path(index, table).name}",
                            "sha256": hashlib.sha256(data).hexdigest(), "rows": len(given[table])}
        self._manifest["chunks"][str(index)] = ({**files[None], **ident} if None in files else
                                                {"tables": files, **ident})
        self._write_manifest()

    def _checked_bytes(self, index: int, rec: dict, table: str | None = None) -> bytes:
        p = self.chunk_path(index, table)
        if not p.is_file():
            raise InputError(f"chunk file {_short(p)} recorded in the manifest is missing; use --overwrite to start "
                             "again")
        data = p.read_bytes()
        if hashlib.sha256(data).hexdigest() != rec.get("sha256"):
            raise InputError(f"chunk file {_short(p)} does not match its checksum in the manifest (corrupted or "
                             "replaced); use --overwrite to start again")
        return data

    def read_chunk_table(self, index: int, table: str | None = None):
        """Chunk ``index`` (its ``table``) as a ``pyarrow.Table``, after checking its checksum and identity
        against the manifest (the identity stays in the table's schema metadata)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        manifest = self._manifest if self._manifest is not None else self._read_manifest() or {}
        rec = (manifest.get("chunks") or {}).get(str(index))
        p = self.chunk_path(index, table)
        if rec is None:
            raise InputError(f"chunk file {_short(p)} is not recorded as finished in the manifest; rerun with --resume")
        frec = _record_files(rec, _plan_tables(manifest), self.manifest_path).get(table)
        if frec is None:
            raise InputError(f"chunk file {_short(p)} is not a table of this study's chunks; use --overwrite")
        data = self._checked_bytes(index, frec, table)
        try:
            tab = pq.read_table(pa.BufferReader(data))
        except (pa.ArrowException, OSError, ValueError):
            raise InputError(f"chunk file {_short(p)} is not a readable Parquet file; use --overwrite") from None
        try:
            ident = json.loads((tab.schema.metadata or {}).get(_META_KEY, b"null"))
        except ValueError:
            ident = None
        want = {k: v for k, v in rec.items() if k not in ("file", "sha256", "rows", "tables")}
        if table is not None:
            want["table"] = table
        if (ident != want or tab.num_rows != frec.get("rows") or want.get("study") != study_hash(manifest)
                or want.get("chunk") != index):
            raise InputError(f"chunk file {_short(p)} belongs to another study or chunk (identity {str(ident)[:80]}); "
                             "use --overwrite")
        return tab

    def read_chunk(self, index: int, table: str | None = None) -> pd.DataFrame:
        """Chunk ``index`` (its ``table``) after checking its checksum and identity against the manifest."""
        return self.read_chunk_table(index, table).to_pandas()

    def read_all(self, n_chunks: int, table: str | None = None) -> pd.DataFrame:
        frames = [self.read_chunk(i, table) for i in range(n_chunks)]
        return pd.concat(frames, ignore_index=True)

    def iter_tables(self, n_chunks: int, table: str | None = None) -> Iterator:
        """The checked ``pyarrow.Table`` of ``table`` of every chunk, in chunk order (one chunk in memory)."""
        for i in range(n_chunks):
            yield self.read_chunk_table(i, table)

    # ------------------------------------------------------------------ completion
    def _provenance(self) -> dict:
        man = self._manifest or self._read_manifest() or {}
        return {k: man.get(k) for k in (*PROVENANCE_KEYS, "distance_km", "match") if k in man}

    def write_concatenated(self, name: str, tables: Iterator, on_table: Callable | None = None) -> str:
        """Stream ``tables`` (``pyarrow.Table`` of one schema, e.g. :meth:`iter_tables`) into ``root/name``
        as one Parquet file, atomically; ``on_table(t)`` sees every table on the way. Row groups hold
        :data:`ROW_GROUP_ROWS` rows whatever the tables' sizes, the chunk identities are dropped from
        the schema and the study's provenance is added (``DataFrame.attrs["qchipnet_provenance"]`` when
        read by pandas), so the bytes depend on the rows alone. Returns the file's sha256."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        prov = self._provenance()

        def write(tmp: Path) -> None:
            writer, pending, n_pending = None, [], 0

            def flush(rows: int) -> None:
                nonlocal pending, n_pending
                t = pa.concat_tables(pending)
                writer.write_table(t.slice(0, rows), row_group_size=ROW_GROUP_ROWS)
                rest = t.slice(rows)
                pending, n_pending = ([rest] if rest.num_rows else []), rest.num_rows

            try:
                for t in tables:
                    if on_table is not None:
                        on_table(t)
                    if writer is None:
                        meta = {k: v for k, v in (t.schema.metadata or {}).items() if k != _META_KEY}
                        meta[b"PANDAS_ATTRS"] = json.dumps({"qchipnet_provenance": prov}).encode()  # as DataFrame.to_parquet
                        schema = t.schema.with_metadata(meta)
                        writer = pq.ParquetWriter(tmp, schema, **PARQUET_OPTIONS)
                    pending.append(t.replace_schema_metadata(schema.metadata))
                    n_pending += t.num_rows
                    if n_pending >= ROW_GROUP_ROWS:
                        flush(n_pending // ROW_GROUP_ROWS * ROW_GROUP_ROWS)
                if writer is None:
                    raise RuntimeError(f"RunStore.write_concatenated({name!r}): no tables")
                if n_pending:
                    flush(n_pending)
            finally:
                if writer is not None:
                    writer.close()

        return atomic_write_with(self.root / name, write)

    def finish(self, summary: dict, sha256: Mapping[str, str]) -> None:
        """``summary.json`` atomically, then the ``finished.json`` marker with the sha256 of every final file
        (``sha256``: {file name: hex}, recorded as ``<stem>_sha256``) and of the summary."""
        summary_bytes = json.dumps(summary, indent=2).encode()
        atomic_write_bytes(self.root / "summary.json", summary_bytes)
        files = {f"{Path(name).stem}_sha256": h for name, h in sha256.items()}
        atomic_write_bytes(self.finished_path, json.dumps({
            "finished": True, "study": study_hash(self._manifest or self._read_manifest() or {}), **files,
            "summary_sha256": hashlib.sha256(summary_bytes).hexdigest()}, indent=1).encode())

    def write_summary(self, summary: dict, dies: pd.DataFrame) -> None:
        """``dies.parquet`` and ``summary.json`` atomically, then the ``finished.json`` marker."""
        buf = io.BytesIO()
        dies = dies.copy(deep=False)  # provenance travels in the Parquet metadata (pdk helper)
        dies.attrs["qchipnet_provenance"] = {k: v for k, v in self._provenance().items() if k in PROVENANCE_KEYS}
        dies.to_parquet(buf, index=False)
        dies_bytes = buf.getvalue()
        atomic_write_bytes(self.root / "dies.parquet", dies_bytes)
        self.finish(summary, {"dies.parquet": hashlib.sha256(dies_bytes).hexdigest()})

    def is_finished(self) -> bool:
        return self.finished_path.is_file()

    # kept for callers of the former API
    @staticmethod
    def _atomic_write(path: Path, data: bytes) -> None:
        atomic_write_bytes(path, data)
