"""Wafer maps and metric histograms of a yield study (PNG, matplotlib Agg)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["wafer_map", "histogram", "pass_fail_map", "write_study_plots", "write_network_plots", "MAX_WAFER_MAPS"]

#: Pass/fail maps drawn per study (one per wafer up to this many; the summary lists every wafer's yield).
MAX_WAFER_MAPS = 50


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path, **kw) -> Path:
    """Save ``fig`` to ``path`` atomically (temporary name, then rename) and close it."""
    from ..layouts.export import atomic_target

    path = Path(path)
    with atomic_target(path) as tmp:
        fig.savefig(tmp, format="png", **kw)
    _plt().close(fig)
    return path


def _die_rects(ax, df: pd.DataFrame, values, cmap, norm, w_mm: float, h_mm: float):
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    rects = [Rectangle((x - w_mm / 2, y - h_mm / 2), w_mm, h_mm) for x, y in zip(df["x_mm"], df["y_mm"])]
    pc = PatchCollection(rects, cmap=cmap, norm=norm, edgecolor="k", linewidth=0.2)
    pc.set_array(np.asarray(values, dtype=float))
    ax.add_collection(pc)
    return pc


def wafer_map(dies: pd.DataFrame, metric: str, path: str | Path, plan=None, limits=None, wafer: int | None = None) -> Path:
    """Colour map of ``metric`` over the die positions of one wafer (default: the first)."""
    plt = _plt()
    import matplotlib.colors as mcolors

    w = int(dies["wafer"].min()) if wafer is None else wafer
    df = dies[dies["wafer"] == w]
    fig, ax = plt.subplots(figsize=(5.5, 5))
    dw = plan.pitch_x_mm if plan is not None else 4.0
    dh = plan.pitch_y_mm if plan is not None else 2.0
    v = df[metric].to_numpy(dtype=float)
    finite = v[np.isfinite(v)]
    lo, hi = (np.percentile(finite, 1), np.percentile(finite, 99)) if finite.size else (0, 1)
    if lo == hi:
        hi = lo + 1e-12
    pc = _die_rects(ax, df, v, "viridis", mcolors.Normalize(lo, hi), dw, dh)
    fig.colorbar(pc, ax=ax, label=metric)
    if plan is not None:
        ax.add_patch(plt.Circle((0, 0), plan.wafer_diameter_mm / 2, fill=False, lw=1))
        r = plan.wafer_diameter_mm / 2
        ax.set_xlim(-r * 1.05, r * 1.05)
        ax.set_ylim(-r * 1.05, r * 1.05)
    else:
        ax.autoscale()
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.set_title(f"{metric}, wafer {w}")
    return _save(fig, path, dpi=110, bbox_inches="tight")


def pass_fail_map(dies: pd.DataFrame, path: str | Path, plan=None, wafer: int | None = None) -> Path:
    """Pass (green) / fail (red) map of one wafer."""
    plt = _plt()
    import matplotlib.colors as mcolors

    w = int(dies["wafer"].min()) if wafer is None else wafer
    df = dies[dies["wafer"] == w]
    fig, ax = plt.subplots(figsize=(5, 5))
    cmap = mcolors.ListedColormap(["#d62728", "#2ca02c"])
    dw = plan.pitch_x_mm if plan is not None else 4.0
    dh = plan.pitch_y_mm if plan is not None else 2.0
    _die_rects(ax, df, df["pass"].astype(float), cmap, mcolors.Normalize(0, 1), dw, dh)
    if plan is not None:
        r = plan.wafer_diameter_mm / 2
        ax.add_patch(plt.Circle((0, 0), r, fill=False, lw=1))
        ax.set_xlim(-r * 1.05, r * 1.05)
        ax.set_ylim(-r * 1.05, r * 1.05)
    ax.set_aspect("equal")
    ax.set_title(f"pass/fail, wafer {w}: {int(df['pass'].sum())}/{len(df)} pass")
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    return _save(fig, path, dpi=110, bbox_inches="tight")


def histogram(dies: pd.DataFrame, metric: str, path: str | Path, limits=None) -> Path:
    """Histogram of ``metric`` over all dies with the spec limits drawn as vertical lines."""
    plt = _plt()
    v = dies[metric].to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.hist(v, bins=60, color="#1f77b4", alpha=0.85)
    for lim in limits or []:
        if lim.metric != metric:
            continue
        for val, style in ((lim.min, "--"), (lim.max, ":")):
            if val is not None:
                ax.axvline(val, color="r", ls=style, label=f"{lim.name} {'min' if style == '--' else 'max'} {val:g}")
    if v.size:
        ax.set_title(f"{metric}: mean {v.mean():.4g}, std {v.std():.3g} (n={v.size})")
    ax.set_xlabel(metric)
    ax.set_ylabel("dies")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    return _save(fig, path, dpi=110, bbox_inches="tight")


def write_study_plots(summary: dict, out: Path) -> list[Path]:
    """Wafer maps of the main metrics and pass/fail, and histograms against the spec limits."""
    import json

    from ..layouts.wafer_plan import design_plan
    from ..wafer.specs import load_spec

    dies = pd.read_parquet(out / "dies.parquet")
    platform = summary["platform"]
    design = json.loads((Path(out) / "manifest.json").read_text())["design"]
    plan = design_plan(design, "inp" if platform == "pair" else platform)
    limits = load_spec(platform, summary.get("spec_path")).limits
    pdir = out / "plots"
    pdir.mkdir(exist_ok=True)
    files = [pass_fail_map(dies, pdir / f"wafer_pass_fail_{int(w):03d}.png", plan, wafer=int(w))
             for w in sorted(dies["wafer"].unique())[:MAX_WAFER_MAPS]]
    for m in summary["metrics"]:
        if m in dies:
            files.append(wafer_map(dies, m, pdir / f"wafer_{m}.png", plan))
            files.append(histogram(dies, m, pdir / f"hist_{m}.png", limits))
    return files


def write_network_plots(out: Path) -> list[Path]:
    """Distributions of a network study (``qchipnet yield --platform network``): pairs above PLOB per
    network, the network capability N L / 2 and the PLOB ratio of the working pairs."""
    import json

    plt = _plt()
    out = Path(out)
    # only the columns the plots draw (a 1e6-network study's pairs table is gigabytes)
    nets = pd.read_parquet(out / "networks.parquet", columns=["pairs_above_plob", "network_capability_km"])
    pairs = pd.read_parquet(out / "pairs.parquet", columns=["locked", "key_rate_per_pulse", "ratio_to_plob"])
    summary = json.loads((out / "summary.json").read_text())
    pdir = out / "plots"
    pdir.mkdir(exist_ok=True)
    files = []
    n_p = int(summary["pairs_per_network"])
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.hist(nets["pairs_above_plob"], bins=np.arange(-0.5, n_p + 1.5), color="#1f77b4", rwidth=0.85)
    ax.set_xlabel(f"pairs above PLOB at {summary['distance_km']:g} km")
    ax.set_ylabel("networks")
    ax.set_title(f"{len(nets)} sampled networks: every pair above PLOB in {summary['yield']:.1%}")
    files.append(_save(fig, pdir / "network_pairs_above_plob.png", dpi=110, bbox_inches="tight"))
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.hist(nets["network_capability_km"], bins=40, color="#2ca02c")
    ax.set_xlabel("network capability N L / 2 (km)")
    ax.set_ylabel("networks")
    ax.set_title(f"N L / 2: mean {nets['network_capability_km'].mean():.0f} km")
    files.append(_save(fig, pdir / "network_capability_km.png", dpi=110, bbox_inches="tight"))
    ok = pairs[(pairs["locked"] > 0) & (pairs["key_rate_per_pulse"] > 0)]
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.hist(ok["ratio_to_plob"], bins=50, color="#9467bd")
    ax.axvline(1.0, color="r", ls="--", label="PLOB")
    ax.set_xlabel("key rate / PLOB bound (working pairs)")
    ax.set_ylabel("pairs")
    ax.legend(fontsize=7)
    files.append(_save(fig, pdir / "network_ratio_to_plob.png", dpi=110, bbox_inches="tight"))
    return files
