"""qchipnet: an open design flow for chip-based twin-field QKD networks.

From parametric photonic layout (gdsfactory) through mode-solver (meow) and S-parameter (sax)
models and circuits, to the secure key rate of every chip pair (SNS-TF-QKD) and the yield of a
whole wafer. Importing qchipnet has no side effects: no PDK is activated, no global sax or jax
setting is changed, no file is written, and no heavy library is imported (every function below
imports what it needs when called).

The Python API (each function wraps the library function named in its docstring)::

    import qchipnet
    design = qchipnet.load_design("my_design.yaml")     # or qchipnet.default_design()
    metrics = qchipnet.evaluate_design(design)           # ring, transmitter, network; no files
    pdk = qchipnet.get_pdk("sin"); pdk.activate()        # gdsfactory PDK: cells, cross-sections, sax models
    summary = qchipnet.run_yield_study("sin", dies=2000, out="yield_sin", design=design)
    dies = qchipnet.read_dies("yield_sin")               # pandas DataFrame, provenance in dies.attrs
    results = qchipnet.run(design, out="run")            # the whole main job (masks ... report)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import gdsfactory as gf
    import pandas as pd

    from .design import Design

__all__ = [
    "__version__",
    "default_design",
    "evaluate_design",
    "get_pdk",
    "load_design",
    "read_dies",
    "read_results",
    "run",
    "run_yield_study",
]

__version__ = "0.1.0"



def load_design(path: str | Path | None = None) -> Design:
    """Load and validate a design file (YAML or TOML); ``None`` gives the built-in reference design.

    Wraps :func:`qchipnet.design.load_design`. A bad value raises
    :class:`~qchipnet.validate.InputError` with one line naming the key, the value and its range.
    """
    from .design import load_design as _load

    return _load(path)


def default_design() -> Design:
    """The built-in reference design (:func:`qchipnet.design.default_design`)."""
    from .design import default_design as _default

    return _default()


def evaluate_design(design: Design | dict | str | Path | None = None, *, network: bool = True,
                    chip_paths: bool = True) -> dict[str, Any]:
    """Evaluate a design without writing files (:func:`qchipnet.pipeline.evaluate_design`).

    Returns ``{"design_hash", "ring", "transmitter", "network"}``: the server ring's metrics (FSR,
    Q, dispersion...), the transmitter's (V_pi, IM visibility, DBR tuning...) and the network's key
    rates. ``design`` may be a :class:`~qchipnet.design.Design`, its dict, a path or None.
    """
    from .pipeline import evaluate_design as _evaluate

    return _evaluate(design, network=network, chip_paths=chip_paths)


def run(design: Design | dict | str | Path | None = None, out: str | Path = "qchipnet-run", *,
        dies: int | None = None, drc: str = "full", echo: Callable[[str], None] = print, **kwargs: Any) -> dict:
    """Run the whole main job into folder ``out`` (:func:`qchipnet.pipeline.run`): masks + DRC,
    ring, transmitter, network key rates, both wafer yield studies, ``results.json`` and the report.

    ``kwargs`` pass through to :func:`qchipnet.pipeline.run` (e.g. ``resume=True``).
    """
    from .pipeline import run as _run

    return _run(design, out, dies=dies, drc=drc, echo=echo, **kwargs)


def get_pdk(platform: str) -> gf.Pdk:
    """The design kit of ``platform`` (``"sin"`` or ``"inp"``): a gdsfactory ``Pdk`` named
    ``qchipnet_<platform>`` with every qchipnet cell, routing cells on the platform's
    cross-sections, named layer views and a sax model for every cell (``pdk.models``).

    Wraps :func:`qchipnet.circuits.kit.get_kit`; cached and *not* activated: call ``.activate()``.
    """
    from .circuits.kit import get_kit

    return get_kit(platform)


def run_yield_study(platform: str = "sin", dies: int = 1000, out: str | Path = "qchipnet-yield", *,
                    seed: int = 0, design: Design | dict | None = None, spec_path: str | None = None,
                    process_path: str | None = None, progress: bool = False, **kwargs: Any) -> dict[str, Any]:
    """Monte Carlo wafer yield study of ``design`` on ``platform`` (``"sin"``, ``"inp"`` or ``"pair"``)
    into folder ``out``; returns the summary (yield with 95 % interval, failures by spec, metric
    statistics). Wraps :func:`qchipnet.wafer.engine.make_config` and
    :func:`~qchipnet.wafer.engine.run_study` (``kwargs`` pass through to ``run_study``, e.g. ``workers``).
    Same seed, same result. Read the dies with :func:`read_dies`.
    """
    from .wafer.engine import make_config, run_study

    cfg = make_config(platform, dies, seed, spec_path=spec_path, process_path=process_path, design=design)
    return run_study(cfg, out, progress=progress, **kwargs)


def read_dies(run_dir: str | Path) -> pd.DataFrame:
    """The dies of a finished yield study (``run_dir/dies.parquet``) as a pandas DataFrame, one row per
    die: identity and position, sampled process values, metrics, pass flags.

    Provenance (seed, platform, process data, design, package versions) is in
    ``df.attrs["qchipnet_provenance"]``, read from the Parquet metadata or, for runs written
    before it was stored there, from the run's ``manifest.json``.
    """
    import json

    import pandas as pd

    from .validate import InputError

    root = Path(run_dir)
    path = root / "dies.parquet"
    if not path.is_file():
        raise InputError(f"run_dir {str(root)!r} has no dies.parquet (is the study finished?)")
    df = pd.read_parquet(path)
    if "qchipnet_provenance" not in df.attrs and (root / "manifest.json").is_file():
        man = json.loads((root / "manifest.json").read_text())
        keys = ("kind", "format_version", "platform", "dies", "seed", "spec", "process_hash", "design", "versions")
        df.attrs["qchipnet_provenance"] = {k: man.get(k) for k in keys}
    return df


def read_results(run_dir: str | Path) -> dict[str, Any]:
    """``results.json`` of a finished :func:`run` as a dictionary (provenance under ``"provenance"``)."""
    import json

    from .validate import InputError

    path = Path(run_dir) / "results.json"
    if not path.is_file():
        raise InputError(f"run_dir {str(run_dir)!r} has no results.json (is the run finished?)")
    return json.loads(path.read_text())
