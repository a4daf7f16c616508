"""Categorical pass/fail wafer maps and the failure Pareto of a yield study, from its saved dies.

Drawn from ``DIR/dies.parquet`` of a finished study (the columns ``wafer``, ``x_mm``, ``y_mm``,
``pass`` and ``pass_<limit>`` that :func:`qchipnet.wafer.engine.evaluate_chunk` writes): no physics
is computed here. A die is coloured by one category, never on a continuous colour bar: "pass", or
the first limit it fails in the spec's order ("+k" in the legend counts dies failing more than one
limit). The Pareto chart counts every failed limit per die (a die may count under several limits)
and the cumulative share of all limit failures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["failure_categories", "failure_pareto_plot", "passfail_maps"]

_PASS_COLOUR = "#2e8b57"
_FAIL_COLOURS = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#1f77b4")


def failure_categories(dies, limits: list[str]) -> np.ndarray:
    """Per die: "pass" or the name of the first failing limit (in ``limits`` order)."""
    cat = np.full(len(dies), "pass", dtype=object)
    undecided = np.ones(len(dies), dtype=bool)
    for name in limits:
        col = f"pass_{name}"
        if col not in dies:
            continue
        fail = undecided & ~dies[col].to_numpy(dtype=bool)
        cat[fail] = name
        undecided &= ~fail
    if "pass" in dies:  # a die failing only through a flag outside the listed limits
        other = undecided & ~dies["pass"].to_numpy(dtype=bool)
        cat[other] = "other"
    return cat


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    from ..layouts.export import atomic_target

    with atomic_target(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png", metadata={"Software": None})
    _plt().close(fig)
    return path


def passfail_maps(dies, limits: list[str], path: str | Path, title: str, wafer_diameter_mm: float | None = None,
                  max_wafers: int = 24) -> Path | None:
    """One categorical pass/fail map per wafer (up to ``max_wafers``, in a grid) in one PNG."""
    if dies is None or len(dies) == 0 or not {"wafer", "x_mm", "y_mm"} <= set(dies.columns):
        return None
    plt = _plt()
    from matplotlib.patches import Circle, Patch

    cats = failure_categories(dies, limits)
    order = ["pass"] + [n for n in limits if n in set(cats)] + (["other"] if "other" in set(cats) else [])
    colour = {"pass": _PASS_COLOUR, **{n: _FAIL_COLOURS[i % len(_FAIL_COLOURS)] for i, n in enumerate(order[1:])}}
    wafers = sorted(int(w) for w in dies["wafer"].unique())[:max_wafers]
    ncol = min(4, len(wafers))
    nrow = int(np.ceil(len(wafers) / ncol))
    n_leg = len({*cats})
    leg_rows = int(np.ceil(n_leg / 3))
    fig, axes = plt.subplots(nrow, ncol, figsize=(max(6.4, 3.0 * ncol + 0.2), 3.6 * nrow + 0.6 + 0.25 * leg_rows),
                             squeeze=False)
    x, y, w = dies["x_mm"].to_numpy(), dies["y_mm"].to_numpy(), dies["wafer"].to_numpy()
    r = wafer_diameter_mm / 2 if wafer_diameter_mm else float(np.max(np.hypot(x, y))) * 1.08 + 1.0
    for ax, wafer in zip(axes.flat, wafers):
        sel = w == wafer
        cs = cats[sel]
        ax.add_patch(Circle((0, 0), r, fill=False, color="0.5", lw=0.8))
        ax.scatter(x[sel], y[sel], c=[colour[c] for c in cs], s=14, marker="s", linewidths=0)
        ax.set_title(f"wafer {wafer}: {int(np.sum(cs == 'pass'))} of {sel.sum()} pass", fontsize=9)
        ax.set_xlim(-r * 1.02, r * 1.02)
        ax.set_ylim(-r * 1.02, r * 1.02)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[len(wafers):]:
        ax.axis("off")
    counts = {c: int(np.sum(cats == c)) for c in order}
    handles = [Patch(color=colour[c], label=f"{'fails ' if c != 'pass' else ''}{c} ({counts[c]})") for c in order]
    fig.legend(handles=handles, loc="lower center", ncol=min(3, len(handles)), fontsize=8, frameon=False)
    more = len(dies["wafer"].unique()) - len(wafers)
    fig.suptitle(title + (f" (first {len(wafers)} wafers; {more} more in dies.parquet)" if more > 0 else ""),
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.25 * leg_rows / fig.get_figheight() + 0.02, 1, 0.95))
    return _save(fig, Path(path))


def failure_pareto_plot(failures_by_spec: dict, n_dies: int, path: str | Path, title: str) -> Path | None:
    """Failing dies per limit, largest first, with the cumulative share of limit failures."""
    items = sorted(((k, int(v)) for k, v in (failures_by_spec or {}).items() if v), key=lambda kv: -kv[1])
    if not items or not n_dies:
        return None
    plt = _plt()
    names, counts = zip(*items)
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    pos = np.arange(len(names))
    ax.bar(pos, [100.0 * c / n_dies for c in counts], color="#d62728")
    ax.set_xticks(pos, names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("dies failing the limit (%)")
    ax2 = ax.twinx()
    cum = np.cumsum(counts) / np.sum(counts) * 100.0
    ax2.plot(pos, cum, "o-", color="0.2")
    ax2.set_ylim(0, 105)
    ax2.set_ylabel("cumulative share of failures (%)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, Path(path))
