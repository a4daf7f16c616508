"""Monte Carlo yield engine: wafers -> sampled process -> vectorised device and system metrics ->
pass/fail per die, streamed to a resumable run directory, in-process or on a Dask cluster.

The unit of randomness is the wafer (:func:`~qchipnet.wafer.variation.wafer_rng`), and a chunk is
a fixed group of whole wafers, so the result is the same whatever the number of workers, and an
interrupted study resumed with the same seed is identical to an uninterrupted one.
Per chunk there is one vectorised evaluation call (no mode solve, no geometry, no Python loop
over dies); see :mod:`qchipnet.wafer.evaluate`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..layouts.wafer_plan import WaferPlan, design_plan
from ..pdk import get_platform
from ..pdk.process import ProcessData
from ..validate import InputError, check_range
from .specs import Spec, load_spec, wilson_interval
from .store import RunStore
from .variation import sample_wafer

__all__ = ["DASK_CONNECT_TIMEOUT_S", "STUDY_PLATFORMS", "WORKER_ENV", "StudyConfig", "check_workers", "evaluate_chunk",
           "max_workers", "run_chunks", "run_mode", "run_study", "summarise"]

STUDY_PLATFORMS = ("inp", "sin", "pair")
#: Fault injection for the resume tests: the process SIGKILLs itself after this many chunks.
_FAULT_ENV = "QCHIPNET_FAULT_AFTER_CHUNKS"
#: Seed offset of the server wafers of a pair study (keeps them independent of client wafers).
_PAIR_SERVER_OFFSET = 1_000_000


@dataclass(frozen=True)
class StudyConfig:
    """Everything that defines a study's result (hashable, JSON-serialisable)."""

    platform: str
    dies: int
    seed: int
    spec: Spec
    process: dict  # platform -> ProcessData
    wafers_per_chunk: int = 1
    design: dict | None = None

    def plan(self, platform: str) -> WaferPlan:
        """The design's wafer plan of ``platform``: the die positions its masks draw."""
        return design_plan(self.design, platform)

    def plans(self) -> dict[str, WaferPlan]:
        if self.platform == "pair":
            return {"inp": self.plan("inp"), "sin": self.plan("sin")}
        return {self.platform: self.plan(self.platform)}

    @property
    def units_per_wafer(self) -> int:
        """Dies (or pairs of client dies) per wafer of the primary platform."""
        if self.platform == "pair":
            return self.plan("inp").n_dies // 2
        return self.plan(self.platform).n_dies

    @property
    def n_wafers(self) -> int:
        return math.ceil(self.dies / self.units_per_wafer)

    @property
    def n_chunks(self) -> int:
        return math.ceil(self.n_wafers / self.wafers_per_chunk)

    def chunk_plan(self) -> dict:
        return {"unit": "wafer", "units_per_wafer": self.units_per_wafer, "n_wafers": self.n_wafers,
                "wafers_per_chunk": self.wafers_per_chunk, "n_chunks": self.n_chunks}


def _sample(process: ProcessData, plan: WaferPlan, seed: int, wafer: int, n: int):
    params, defects = sample_wafer(process, plan.positions_mm(), plan.wafer_diameter_mm / 2, seed, wafer)
    return {k: v[:n] for k, v in params.items()}, {k: v[:n] for k, v in defects.items()}


def evaluate_chunk(cfg: StudyConfig, chunk: int, evaluator: Callable | None = None) -> pd.DataFrame:
    """Sample and evaluate the wafers of ``chunk``; returns one row per die (or pair)."""
    from .evaluate import EVALUATORS

    ev = evaluator or EVALUATORS[cfg.platform]
    frames = []
    w0 = chunk * cfg.wafers_per_chunk
    for wafer in range(w0, min(w0 + cfg.wafers_per_chunk, cfg.n_wafers)):
        n = min(cfg.units_per_wafer, cfg.dies - wafer * cfg.units_per_wafer)
        if cfg.platform == "pair":
            plan_c, plan_s = cfg.plan("inp"), cfg.plan("sin")
            pc, dc = _sample(cfg.process["inp"], plan_c, cfg.seed, wafer, 2 * n)
            ps, ds = _sample(cfg.process["sin"], plan_s, cfg.seed, _PAIR_SERVER_OFFSET + wafer, n)
            metrics = ev(client=(pc, dc), server=(ps, ds), n_pairs=n, design=cfg.design, processes=cfg.process)
            ids = plan_c.ids()
            base = pd.DataFrame({
                "wafer": wafer,
                "pair_id": [f"P{wafer:03d}-{i:03d}" for i in range(n)],
                "die_a": ids[0:2 * n:2], "die_b": ids[1:2 * n:2],
                "server_die": plan_s.ids()[:n],
                "x_mm": plan_c.positions_mm()[0:2 * n:2, 0], "y_mm": plan_c.positions_mm()[0:2 * n:2, 1],
            })
        else:
            plan = cfg.plan(cfg.platform)
            params, defects = _sample(cfg.process[cfg.platform], plan, cfg.seed, wafer, n)
            metrics = ev(params=params, defects=defects, design=cfg.design, processes=cfg.process)
            pos = plan.positions_mm()[:n]
            base = pd.DataFrame({"wafer": wafer, "die_id": plan.ids()[:n], "x_mm": pos[:, 0], "y_mm": pos[:, 1]})
            for k, v in params.items():
                base[k] = v[:, 0]
                for j in range(1, v.shape[1]):
                    base[f"{k}_{j}"] = v[:, j]
        for k, v in metrics.items():
            base[k] = np.asarray(v, dtype=float)
        passes = cfg.spec.evaluate({k: np.asarray(v) for k, v in metrics.items()})
        for k, v in passes.items():
            base[f"pass_{k}"] = v
        base["pass"] = np.logical_and.reduce(list(passes.values())) if passes else True
        frames.append(base)
    return pd.concat(frames, ignore_index=True)


def summarise(cfg: StudyConfig, dies: pd.DataFrame, elapsed_s: float) -> dict:
    """The study summary (keys of ``qchipnet yield --json``)."""
    from .specs import cluster_bootstrap_interval, per_cluster_yield

    n = len(dies)
    k = int(dies["pass"].sum())
    # dies of one wafer share its process offset: the interval resamples whole wafers
    lo, hi = cluster_bootstrap_interval(dies["pass"].to_numpy(), dies["wafer"].to_numpy(), seed=cfg.seed)
    metrics = {}
    for c in _metric_names(cfg, dies):
        v = dies[c].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            continue
        metrics[c] = {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
                      "p5": float(np.percentile(v, 5)), "p50": float(np.percentile(v, 50)),
                      "p95": float(np.percentile(v, 95))}
    out = {
        "platform": cfg.platform,
        "dies": n,
        "seed": cfg.seed,
        "yield": k / n,
        "yield_ci95": [lo, hi],
        "yield_ci95_method": "cluster bootstrap over wafers (2000 resamples)" if dies["wafer"].nunique() > 1
        else "Wilson (one wafer: die-to-die only)",
        "yield_ci95_independent_dies": list(wilson_interval(k, n)),
        "n_wafers": int(dies["wafer"].nunique()),
        "per_wafer_yield": per_cluster_yield(dies["pass"].to_numpy(), dies["wafer"].to_numpy()),
        "failures_by_spec": {lim.name: int((~dies[f"pass_{lim.name}"].astype(bool)).sum()) for lim in cfg.spec.limits},
        "metrics": metrics,
        "modulator_yield": None,
        "elapsed_s": round(elapsed_s, 3),
        "dies_per_s": round(n / elapsed_s, 1) if elapsed_s > 0 else None,
    }
    if "n_failed_modulators" in dies:
        from .variation import DEVICES_PER_DIE

        per = DEVICES_PER_DIE["inp"]["pm_failure"] * (2 if cfg.platform == "pair" else 1)
        out["modulator_yield"] = 1.0 - float(dies["n_failed_modulators"].sum()) / (per * n)
    if "chip_executable" in dies:
        out["chip_executable_fraction"] = float(dies["chip_executable"].mean())
    if cfg.platform == "pair" and "ratio_to_plob" in dies:
        out["pairs_beating_plob"] = int((dies["ratio_to_plob"] > 1).sum())
    return out


def _metric_names(cfg: StudyConfig, dies: pd.DataFrame) -> list[str]:
    """Metric columns: everything but identifiers, sampled process parameters and pass flags."""
    ids = {"wafer", "die_id", "x_mm", "y_mm", "pair_id", "die_a", "die_b", "server_die", "pass"}
    params = {name for proc in cfg.process.values() for name in proc.parameters}

    def is_param(col: str) -> bool:
        base, _, idx = col.rpartition("_")
        return col in params or (idx.isdigit() and base in params)

    return [c for c in dies.columns if c not in ids and not c.startswith("pass_") and not is_param(c)]


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("qchipnet", "numpy", "jax", "sax", "gdsfactory", "meow-sim", "pandas", "pyarrow"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def study_process(design, platforms: tuple[str, ...], process_path: str | None = None) -> dict:
    """{platform: ProcessData} of a study: the PDK's process data, the design's own overrides, then the
    study's ``--process`` file on top (checked: a section that is not a platform of the study is refused)."""
    process = {p: get_platform(p).process.with_overrides(design.process.get(p, {})) for p in platforms}
    if process_path:
        from ..pdk.process import load_process_file

        data = load_process_file(process_path)
        for key in data:
            if key not in process:
                raise InputError(f"process file {process_path!r}: section {key!r} is not a platform of this study "
                                 f"({list(process)})")
        process = {p: (process[p].with_overrides(data[p]) if p in data else process[p]) for p in process}
    return process


def make_config(platform: str, dies: int, seed: int, spec_path: str | None = None,
                process_path: str | None = None, wafers_per_chunk: int = 1, design=None) -> StudyConfig:
    """Validate the user's choices and build a :class:`StudyConfig` of ``design`` (a
    :class:`~qchipnet.design.Design`, its dict, or None for the built-in design): every die is the
    design's geometry plus sampled process offsets."""
    if platform not in STUDY_PLATFORMS:
        raise InputError(f"unknown platform {platform!r}; choose one of {[*STUDY_PLATFORMS, 'network']} "
                         "(network: wafer.network.make_network_study)")
    check_range("dies", dies, 1, 10_000_000)
    check_range("seed", seed, 0, 2**63 - 1)
    check_range("wafers_per_chunk", wafers_per_chunk, 1, 1000)
    from ..design import Design, default_design, parse_design

    if design is None:
        design = default_design()
    elif not isinstance(design, Design):
        design = parse_design(design, source="design")
    process = study_process(design, ("inp", "sin") if platform == "pair" else (platform,), process_path)
    spec = load_spec(platform, spec_path)
    from .evaluate import PLATFORM_METRICS

    unknown = [m for m in spec.metrics if m not in PLATFORM_METRICS[platform]]
    if unknown:
        raise InputError(f"spec {spec_path or 'default'!r}: metric(s) {unknown[:5]} are not computed for platform "
                         f"{platform!r}; its metrics are {list(PLATFORM_METRICS[platform])}")
    return StudyConfig(platform=platform, dies=int(dies), seed=int(seed), spec=spec,
                       process=process, wafers_per_chunk=int(wafers_per_chunk), design=design.model_dump(mode="json"))


def _manifest(cfg: StudyConfig) -> dict:
    proc = {k: v.model_dump() for k, v in cfg.process.items()}
    return {
        "kind": "qchipnet-yield-study",
        "format_version": 1,
        "platform": cfg.platform,
        "dies": cfg.dies,
        "seed": cfg.seed,
        "spec": cfg.spec.model_dump(),
        "process": proc,
        "process_hash": hashlib.sha256(json.dumps(proc, sort_keys=True).encode()).hexdigest()[:16],
        "chunk_plan": cfg.chunk_plan(),
        "design": cfg.design,
        "versions": _versions(),
    }


def run_study(cfg: StudyConfig, out_dir: str | Path, resume: bool = False, workers: int = 0,
              scheduler: str | None = None, progress: bool = True, evaluator: Callable | None = None,
              overwrite: bool = False, echo: Callable[[str], None] | None = None) -> dict:
    """Run (or resume) a study into ``out_dir``; returns the summary.

    What happens to an existing ``out_dir`` is decided before anything is computed: a new study
    refuses a non-empty folder, ``resume`` continues the same study (matching manifest, verified
    chunks), ``overwrite`` replaces a yield study. The folder is locked while it is written.
    ``workers > 0`` starts a local Dask cluster with that many single-threaded worker processes;
    ``scheduler`` connects to an existing (trusted: Dask exchanges pickles) Dask scheduler, failing in
    one line within :data:`DASK_CONNECT_TIMEOUT_S` when it cannot. Otherwise chunks run in this process.
    """
    mode = run_mode(resume, overwrite)
    check_workers(workers, scheduler)
    store = RunStore(out_dir)
    t0 = time.perf_counter()

    def finish(computed_now: int) -> dict:
        dies = store.read_all(cfg.n_chunks)
        summary = summarise(cfg, dies, time.perf_counter() - t0)
        summary["run_dir"] = str(store.root)
        summary["chunks_computed_now"] = computed_now
        store.write_summary(summary, dies)
        return summary

    return run_chunks(store, _manifest(cfg), mode, n_chunks=cfg.n_chunks,
                      task=functools.partial(evaluate_chunk, cfg, evaluator=evaluator),
                      write=lambda c, df: store.write_chunk(c, df, _chunk_identity(cfg, c)),
                      units=lambda c: _units_in_chunk(cfg, c), total=cfg.dies, finish=finish, workers=workers,
                      scheduler=scheduler, progress=progress, echo=echo, unit="dies")


def run_mode(resume: bool, overwrite: bool) -> str:
    """The :data:`~qchipnet.wafer.store.MODES` entry of ``--resume`` / ``--overwrite`` (exclusive)."""
    if resume and overwrite:
        raise InputError("--resume and --overwrite are exclusive: choose one")
    return "resume" if resume else ("overwrite" if overwrite else "new")


def run_chunks(store: RunStore, manifest: dict, mode: str, *, n_chunks: int, task: Callable[[int], object],
               write: Callable[[int, object], None], units: Callable[[int], int], total: int,
               finish: Callable[[int], dict], workers: int = 0, scheduler: str | None = None, progress: bool = True,
               echo: Callable[[str], None] | None = None, unit: str = "dies") -> dict:
    """The run-folder job shared by the studies: decide about ``store``'s folder (before any computation),
    compute the chunks not yet recorded (``task(c)``; in this process or, ``workers``/``scheduler``, on
    Dask, where ``task`` must pickle), ``write(c, result)`` each as it finishes, show progress in
    ``unit``, and call ``finish(chunks computed now)`` under the folder's lock; returns its result.

    Ctrl-C keeps the finished chunks and says in one line how to resume. :data:`_FAULT_ENV` (tests)
    SIGKILLs the process after that many chunks were written.
    """
    store.check(manifest, mode)  # one line, before any computation or write
    fault_after = int(os.environ.get(_FAULT_ENV, "0") or 0)
    written = 0

    def on_result(c: int, res) -> None:
        nonlocal written
        write(c, res)
        written += 1
        if fault_after and written >= fault_after:
            os.kill(os.getpid(), signal.SIGKILL)

    with _dask_client(workers, scheduler, echo if progress else None) as client, store.open(manifest, mode):
        todo = [c for c in range(n_chunks) if c not in store.done_chunks()]
        bar = _Progress(total, sum(units(c) for c in range(n_chunks) if c not in todo), enabled=progress, unit=unit)
        try:
            with bar:
                if client is not None:
                    _run_dask(client, task, todo, on_result, lambda c: bar.advance(units(c)))
                else:
                    for c in todo:
                        on_result(c, task(c))
                        bar.advance(units(c))
        except KeyboardInterrupt:
            kept = len(store.done_chunks())
            if not kept:
                raise InputError("interrupted before the first chunk was finished; nothing was kept") from None
            raise InputError(f"interrupted: {kept} of {n_chunks} chunks kept in "
                             f"{str(store.root)!r}; rerun with --resume to finish") from None
        return finish(len(todo))


def _chunk_identity(cfg: StudyConfig, c: int) -> dict:
    """What a chunk file must hold: its wafers, the seed and the platform (checked when it is read)."""
    w0 = c * cfg.wafers_per_chunk
    return {"wafers": list(range(w0, min(w0 + cfg.wafers_per_chunk, cfg.n_wafers))), "seed": cfg.seed,
            "platform": cfg.platform}


def _units_in_chunk(cfg: StudyConfig, c: int) -> int:
    w0 = c * cfg.wafers_per_chunk
    w1 = min(w0 + cfg.wafers_per_chunk, cfg.n_wafers)
    return sum(min(cfg.units_per_wafer, cfg.dies - w * cfg.units_per_wafer) for w in range(w0, w1))


#: Environment of the local cluster's worker processes: one intra-op thread for XLA's CPU client
#: (``PJRT_NPROC``, read when the client is created), so a single-threaded worker uses one core;
#: dask's Nanny already sets OMP/MKL/OpenBLAS to one thread (``distributed.nanny.pre-spawn-environ``).
WORKER_ENV = {"PJRT_NPROC": "1"}

#: Seconds to wait for a ``--scheduler`` before giving up with one line.
DASK_CONNECT_TIMEOUT_S = 5.0


def max_workers() -> int:
    """Upper bound of ``--workers``: one single-threaded worker process per CPU core of this machine."""
    return max(1, os.cpu_count() or 1)


def check_workers(workers: int, scheduler: str | None = None) -> None:
    """Refuse a worker count outside [0, cores] or a scheduler address that is not tcp://HOST:PORT."""
    if workers and scheduler:
        raise InputError("--workers and --scheduler are exclusive: choose one")
    if not 0 <= workers <= max_workers():
        raise InputError(f"--workers = {workers} is outside the allowed range [0, {max_workers()}] (one worker process "
                         "per CPU core of this machine)")
    if scheduler is not None:
        import re

        m = re.fullmatch(r"(tcp|tls)://([A-Za-z0-9._-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})", scheduler)
        if not m or not 1 <= int(m.group(3)) <= 65535:
            shown = scheduler if len(scheduler) <= 80 else scheduler[:77] + "..."
            raise InputError(f"--scheduler {shown!r} is not an address tcp://HOST:PORT (port 1-65535)")


@contextlib.contextmanager
def _dask_client(workers: int, scheduler: str | None, echo: Callable[[str], None] | None):
    """A Dask client (or None in-process): a local cluster of ``workers`` processes, or a connection to
    ``scheduler`` that fails in one line after :data:`DASK_CONNECT_TIMEOUT_S`. Prints the dashboard link
    when there is one; shuts the workers down before returning (no "still alive ... killing" logs)."""
    if not workers and not scheduler:
        yield None
        return
    import logging

    from dask.distributed import Client, LocalCluster

    say = echo or (lambda s: None)
    cluster, dash = None, False
    if scheduler:
        try:
            client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"--scheduler {scheduler!r}: cannot connect within {DASK_CONNECT_TIMEOUT_S:g} s "
                             f"({type(exc).__name__})") from None
    else:
        import importlib.util

        dash = importlib.util.find_spec("bokeh") is not None
        # a free local port (Dask's HTTP server runs even without bokeh; a fixed 8787 warns when it is taken)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                               host="127.0.0.1", silence_logs=logging.CRITICAL, env=dict(WORKER_ENV))
        client = Client(cluster)
    link = client.dashboard_link if (scheduler or dash) else None
    say(f"Dask: {len(client.scheduler_info().get('workers', {}))} workers, dashboard "
        + (link if link else "not available (install bokeh to get one)"))
    try:
        yield client
    finally:
        # a failed task is re-raised here as one line; the workers' own logs stay silent
        client.close()
        if cluster is not None:
            cluster.close()


def _run_dask(client, task, todo, on_result, advance) -> None:
    from dask.distributed import as_completed

    futures = {client.submit(task, c, pure=False): c for c in todo}
    try:
        for fut in as_completed(futures):
            c = futures[fut]
            on_result(c, fut.result())
            advance(c)
    finally:
        client.cancel(list(futures))


class _Progress:
    """A rich progress bar with ``unit``/s (dies or networks) and ETA, or nothing when disabled."""

    def __init__(self, total: int, done: int, enabled: bool, unit: str = "dies"):
        self.enabled = enabled
        self.total, self.done, self._done0 = total, done, done  # rate: what this run computed
        self.unit = unit
        self._p = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._p = Progress(TextColumn(self.unit), BarColumn(), MofNCompleteColumn(),
                               TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), transient=False)
            self._p.__enter__()
            self._t0 = time.perf_counter()
            self._task = self._p.add_task(self.unit, total=self.total, completed=self.done, rate="")
        return self

    def advance(self, n: int) -> None:
        if self._p is not None:
            self.done += n
            el = time.perf_counter() - self._t0
            self._p.update(self._task, advance=n, rate=f"{(self.done - self._done0) / el:,.0f} {self.unit}/s"
                           if el > 0 else "")

    def __exit__(self, *exc):
        if self._p is not None:
            self._p.__exit__(*exc)
        return False
