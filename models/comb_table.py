"""Offline dark-pulse LLE table: the stationary dark pulse of the normalised LLE over (d2, F^2, a).

Physics (physics.md 2.3; Chembo & Menyuk, PRA 87, 053852 (2013); Godey et al., PRA 89, 063814 (2014)):
the intracavity field of the stationary normal-dispersion LLE

    dpsi/dt = -(1 + i a) psi + i |psi|^2 psi + i (d2/2) (-i d/dtheta)^2 psi + F

(time in units of 2/kappa, ``d2 = -2 D2/kappa > 0`` normal dispersion, ``a = 2(omega_0 - omega_p)/kappa``,
``F^2`` as physics.md 1.5) depends only on ``(d2, F^2, a)``. The coupling ratio eta enters the
out-coupled lines analytically, ``s_out,mu/s_in = delta_mu0 - 2 eta psi_mu / F``
(``psi_mu`` = FFT amplitude / N), so the table holds ``psi_mu`` and the run-time surrogate
(:mod:`qchipnet.system.comb`) applies eta, the pump power and the die's own grid.

Protocol (the same for the builder and the direct solver :func:`solve_dark_pulse`, the test oracle):

1. initial state: a domain of the lower homogeneous state of half-width ``0.3 sqrt(d2/0.076)`` rad in
   the upper state. At d2 = 0.076 this is the 0.6-rad domain of physics.md 2.3 (the article-like
   pulse, 12.4 % conversion at eta = 0.5); scaling it with the front width sqrt(d2) starts every
   d2 from the same pulse in units of the front width (the LLE is invariant under theta ->
   theta/sqrt(d2) on an infinite ring), so the table follows one branch of the collapsed snaking
   instead of jumping between branches, and a wide-front domain does not annihilate at once.
2. ``N`` = the smallest power of two >= 25/sqrt(d2) (>= 64, <= 512): about 4 grid points per
   front width. N = 128 at d2 = 0.076 (the physics.md setting). Coarser grids pin the fronts
   on the grid and make the pulse spuriously unstable (seen at d2 = 0.02 with N = 128: growth
   rate 8e-4; stable with N = 256 and the lines equal to 1e-3 dB).
3. Strang split-step (sqzcomb ``lle_evolve`` scheme) to ``t = 300`` with
   ``dt = min(0.01, 0.8 / (d2 N^2/8))`` (largest linear phase per step 0.8 rad; N = 512 with a
   50-rad step gave a grid artefact, physics.md 2.4), then Newton (sqzcomb ``newton_state``,
   residual < 1e-12) from the evolved field.
4. ``exists`` = Newton converged, the state is not homogeneous (contrast max|psi|^2 - min|psi|^2
   > 25 % of the gap between the homogeneous states), the evolution had settled on it
   (max |psi_evolved - psi_Newton| < 0.05) and it is linearly stable (largest real part of the
   eigenvalues of sqzcomb ``fluctuation_matrix`` < 1e-5; the translation mode sits at ~1e-10).
   Where it is 0 the table's amplitudes are those of whatever state was found and must not be used.

Table ``dark_pulse`` (models/tables/dark_pulse.npz + .json, :class:`~qchipnet.models.modes.ModeTable`):
axes ``log10_d2``, ``f2``, ``a``; quantities ``exists`` (0/1), ``psi0_re``, ``psi0_im`` (pump mode),
``psi2_dB_<mu>`` = 10 log10 |psi_mu|^2 for mu = -20..20, mu != 0 (floored at -400 dB),
``psi_power`` = mean |psi|^2 = sum over all N modes of |psi_mu|^2 (stationarity gives
``psi_power = F Re psi_0``), and diagnostics ``growth_rate``, ``contrast``, ``n_modes``.
Build: ``qchipnet modes build --platform comb`` (``nice -n 15``; the evolution is batched in jax
over grid points; the per-point Newton and eigenvalue solves use sqzcomb). On a shared machine run it
single-threaded (``XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
OMP_NUM_THREADS=1``): threads spinning for a busy core cost 5-10x the CPU. The committed table took
536 CPU-s (coarse stage 78 s, then the full grid taking the coarse points over). Its JSON
``validation`` holds the comparison with direct solves at seeded random points (see
``system.comb.SURROGATE_TOLERANCE_DB``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .modes import TABLES_DIR, ModeTable, content_hash, load_table, make_provenance

__all__ = [
    "COARSE_GRID",
    "GRID",
    "MU_MAX",
    "REF_D2",
    "TABLE_NAME",
    "build_table",
    "initial_field",
    "load_dark_pulse",
    "n_modes",
    "solve_batch",
    "solve_dark_pulse",
    "table_inputs",
    "time_step",
]

TABLE_NAME = "dark_pulse"
#: Line indices tabulated: mu = -MU_MAX .. MU_MAX.
MU_MAX = 20
#: Reference dispersion of physics.md 2.3 (its 0.6-rad initial domain).
REF_D2 = 0.076
T_END = 300.0
_SOLVER_REV = 1
_LOG_D2 = (math.log10(0.005), 0.0)

#: Full grid: log10 d2 over the dark-pulse range [0.005, 1] (23 nodes, step 0.105 decade), F^2 over
#: [4.44, 4.96] (step 0.13, node at the Maxwell point 4.70), a over [3.5, 4.5] (step 0.1 around the
#: a = 4 node; 3.5 and 4.5, where no dark pulse exists for these F^2, bound it). Contains COARSE_GRID.
GRID = {
    "log10_d2": np.round(np.linspace(_LOG_D2[0], _LOG_D2[1], 23), 6),
    "f2": np.round(np.linspace(4.44, 4.96, 5), 6),
    "a": np.array([3.5, 3.8, 3.9, 4.0, 4.1, 4.2, 4.5]),
}
#: Coarse grid (built first so that the API works early).
COARSE_GRID = {
    "log10_d2": np.round(np.linspace(_LOG_D2[0], _LOG_D2[1], 12), 6),
    "f2": np.array([4.44, 4.70, 4.96]),
    "a": np.array([3.9, 4.0, 4.1]),
}


def n_modes(d2: float) -> int:
    """Grid size N: smallest power of two >= 25/sqrt(d2), clipped to [64, 512]."""
    need = 25.0 / math.sqrt(float(d2))
    return int(min(512, max(64, 1 << math.ceil(math.log2(need)))))


def time_step(d2: float, n: int) -> float:
    """Split-step dt: the largest linear phase per step (d2/2)(N/2)^2 dt at most 0.8 rad, dt <= 0.01."""
    return float(min(0.01, 0.8 / (float(d2) * n * n / 8.0)))


def initial_field(d2: float, f2: float, a: float, n: int) -> np.ndarray:
    """Lower-state domain of half-width 0.3 sqrt(d2/REF_D2) rad centred in the upper homogeneous state."""
    from sqzcomb import homogeneous_steady_states

    F = math.sqrt(f2)
    th = np.linspace(0, 2 * np.pi, n, endpoint=False)
    states = homogeneous_steady_states(F, a)
    lo, hi = float(np.min(states)), float(np.max(states))
    hw = 0.3 * math.sqrt(d2 / REF_D2)
    return np.where(np.abs(th - np.pi) < hw, F / (1 + 1j * (a - lo)), F / (1 + 1j * (a - hi))).astype(complex)


def _classify(psi_ev: np.ndarray, d2: float, f2: float, a: float) -> dict:
    """Newton polish + existence/stability verdict of one evolved field (see the module docstring)."""
    from sqzcomb import homogeneous_steady_states, newton_state
    from sqzcomb.linearize import fluctuation_matrix

    n = psi_ev.size
    F = math.sqrt(f2)
    out = {"n_modes": float(n), "converged": False}
    try:
        psi, info = newton_state(psi_ev, F, a, dispersion=(d2,))
        out["converged"] = True
        out["residual"] = float(info["residual"])
    except RuntimeError:
        psi = psi_ev
        out["residual"] = float("inf")
    r = np.abs(psi) ** 2
    states = homogeneous_steady_states(F, a)
    gap = float(np.max(states) - np.min(states)) if len(states) > 1 else 0.0
    out["contrast"] = float(r.max() - r.min())
    out["settle"] = float(np.max(np.abs(psi - psi_ev)))
    kmax = n // 2 if n <= 256 else 128
    modes = np.arange(-kmax + 1, kmax)
    M = fluctuation_matrix(psi, a, dispersion=(d2,), modes=modes)[0]
    out["growth_rate"] = float(np.max(np.linalg.eigvals(M).real))
    out["exists"] = bool(out["converged"] and gap > 0 and out["contrast"] > 0.25 * gap and out["settle"] < 0.05
                         and out["growth_rate"] < 1e-5)
    pm = np.fft.fft(psi) / n
    mu = np.arange(-MU_MAX, MU_MAX + 1)
    out["psi_mu"] = pm[np.mod(mu, n)]
    out["psi_power"] = float(np.mean(r))
    return out


def solve_dark_pulse(d2: float, f2: float, a: float) -> dict:
    """Direct solve of one point with sqzcomb's own ``lle_evolve`` (the test oracle).

    Returns ``{"psi_mu": complex array for mu = -20..20, "psi_power", "exists", "growth_rate",
    "contrast", "settle", "residual", "n_modes"}``. About 1-6 s (N = 64..512).
    """
    from sqzcomb import lle_evolve

    n = n_modes(d2)
    psi = lle_evolve(initial_field(d2, f2, a, n), math.sqrt(f2), a, dispersion=(d2,), t_end=T_END,
                     dt=time_step(d2, n))
    return _classify(psi, d2, f2, a)


def _evolve_jax(psi0: np.ndarray, d2: np.ndarray, f2: np.ndarray, a: np.ndarray, dt: float) -> np.ndarray:
    """The Strang split step of sqzcomb ``lle_evolve`` for a batch of points (rows) of one N and dt."""
    import jax
    import jax.numpy as jnp

    from .modes import _ensure_x64

    _ensure_x64()
    n = psi0.shape[1]
    k = np.fft.fftfreq(n, 1.0 / n)
    L = -(1 + 1j * a[:, None]) + 1j * (d2[:, None] / 2 * k**2)
    eL = np.exp(L * dt)
    Fk = np.zeros_like(psi0)
    Fk[:, 0] = np.sqrt(f2) * n
    add = (eL - 1) / L * Fk
    h = 0.5 * dt
    steps = round(T_END / dt)

    @jax.jit
    def run(psi, eL, add):
        def body(_, p):
            p = p * jnp.exp(1j * h * (p.real**2 + p.imag**2))
            p = jnp.fft.ifft(jnp.fft.fft(p, axis=-1) * eL + add, axis=-1)
            return p * jnp.exp(1j * h * (p.real**2 + p.imag**2))

        return jax.lax.fori_loop(0, steps, body, psi)

    return np.asarray(run(psi0, eL, add))


def solve_batch(points: list[tuple[float, float, float]], progress: Callable[[str], None] | None = None) -> list[dict]:
    """:func:`solve_dark_pulse` for many ``(d2, f2, a)`` points: the evolution batched in jax per (N, dt)."""
    say = progress or (lambda s: None)
    groups: dict[tuple[int, float], list[int]] = {}
    for i, (d2, _, _) in enumerate(points):
        n = n_modes(d2)
        groups.setdefault((n, time_step(d2, n)), []).append(i)
    out: list[dict | None] = [None] * len(points)
    for (n, dt), idx in sorted(groups.items()):
        t0 = time.process_time()
        d2 = np.array([points[i][0] for i in idx])
        f2 = np.array([points[i][1] for i in idx])
        a = np.array([points[i][2] for i in idx])
        psi0 = np.array([initial_field(points[i][0], points[i][1], points[i][2], n) for i in idx])
        psi = _evolve_jax(psi0, d2, f2, a, dt)
        for j, i in enumerate(idx):
            out[i] = _classify(psi[j], *points[i])
        say(f"  N={n} dt={dt:.4g}: {len(idx)} points, {time.process_time() - t0:.1f} CPU-s")
    return out  # type: ignore[return-value]


def table_inputs(grid: dict | None = None) -> dict:
    """What the table is computed from (hashed into the provenance)."""
    from importlib.metadata import version

    g = GRID if grid is None else grid
    return {"table": TABLE_NAME, "solver_rev": _SOLVER_REV, "grid": {k: np.asarray(v) for k, v in g.items()},
            "mu_max": MU_MAX, "t_end": T_END, "ref_d2": REF_D2, "sqzcomb": version("sqzcomb"),
            "n_modes_rule": "smallest power of two >= 25/sqrt(d2), clipped to [64, 512]",
            "dt_rule": "min(0.01, 0.8/(d2 N^2/8))", "initial_domain_half_width_rad": "0.3 sqrt(d2/0.076)"}


def _quantities() -> list[str]:
    q = ["exists", "psi0_re", "psi0_im", "psi_power", "growth_rate", "contrast", "n_modes"]
    return q + [f"psi2_dB_{m}" for m in range(-MU_MAX, MU_MAX + 1) if m != 0]


def _reusable(reuse_from: str | Path | None, g: dict) -> dict[tuple[float, float, float], dict]:
    """Points of an existing table computed with the same protocol (all inputs but the grid equal):
    ``{(log10_d2, f2, a) rounded: {quantity: value}}``; empty if none or the protocol differs."""
    if reuse_from is None:
        return {}
    import json

    d = Path(reuse_from)
    js, npz = d / f"{TABLE_NAME}.json", d / f"{TABLE_NAME}.npz"
    if not js.exists() or not npz.exists():
        return {}
    meta = json.loads(js.read_text())
    old_axes = {k: np.asarray(v) for k, v in meta["axes"].items()}
    mine = {k: v for k, v in table_inputs(g).items() if k != "grid"}
    theirs = {k: v for k, v in table_inputs(old_axes).items() if k != "grid"}
    if content_hash(mine) != content_hash(theirs) or meta.get("inputs_hash") != content_hash(table_inputs(old_axes)):
        return {}
    out = {}
    with np.load(npz) as z:
        data = {q: np.asarray(z[f"data__{q}"]) for q in meta["quantities"]}
    for i, x in enumerate(old_axes["log10_d2"]):
        for j, y in enumerate(old_axes["f2"]):
            for k, w in enumerate(old_axes["a"]):
                out[(round(float(x), 6), round(float(y), 6), round(float(w), 6))] = {q: v[i, j, k] for q, v in data.items()}
    return out


def build_table(out_dir: str | Path = TABLES_DIR, grid: dict | None = None,
                progress: Callable[[str], None] | None = print, chunk: int = 96,
                reuse_from: str | Path | None = None) -> ModeTable:
    """Solve every grid point and write ``<out_dir>/dark_pulse.npz|json`` (written to temporary
    names and moved into place, so a reader never sees half a table). Points present in the table
    in ``reuse_from`` computed with the same protocol (inputs equal but for the grid) are taken over."""
    import os
    import tempfile

    say = progress or (lambda s: None)
    g = {k: np.asarray(v, dtype=float) for k, v in (GRID if grid is None else grid).items()}
    shape = tuple(len(v) for v in g.values())
    keys = [(float(g["log10_d2"][i]), float(g["f2"][j]), float(g["a"][k]))
            for i in range(shape[0]) for j in range(shape[1]) for k in range(shape[2])]
    old = _reusable(reuse_from, g)
    todo = [i for i, kk in enumerate(keys) if tuple(round(v, 6) for v in kk) not in old]
    pts = [(10 ** keys[i][0], keys[i][1], keys[i][2]) for i in todo]
    say(f"{len(keys)} grid points: {len(keys) - len(todo)} taken over from {reuse_from}, {len(todo)} to solve")
    t0, c0 = time.time(), time.process_time()
    solved: list[dict] = []
    # chunks of similar d2 (similar N and dt) keep the jax batches homogeneous
    for s in range(0, len(pts), chunk):
        solved += solve_batch(pts[s:s + chunk], progress)
        say(f"{len(solved)}/{len(pts)} points, {time.process_time() - c0:.0f} CPU-s")
    data = {q: np.zeros(len(keys)) for q in _quantities()}
    mu = np.arange(-MU_MAX, MU_MAX + 1)
    res: list[dict | None] = [None] * len(keys)
    for i, r in zip(todo, solved):
        res[i] = r
    for i, kk in enumerate(keys):
        if res[i] is None:
            for q, v in old[tuple(round(x, 6) for x in kk)].items():
                data[q][i] = v
    for i, r in enumerate(res):
        if r is None:
            continue
        data["exists"][i] = float(r["exists"])
        data["psi0_re"][i] = r["psi_mu"][MU_MAX].real
        data["psi0_im"][i] = r["psi_mu"][MU_MAX].imag
        data["psi_power"][i] = r["psi_power"]
        data["growth_rate"][i] = r["growth_rate"]
        data["contrast"][i] = r["contrast"]
        data["n_modes"][i] = r["n_modes"]
        p2 = np.maximum(np.abs(r["psi_mu"]) ** 2, 1e-40)
        for m, v in zip(mu, 10 * np.log10(p2)):
            if m != 0:
                data[f"psi2_dB_{m}"][i] = v
    data = {k: v.reshape(shape) for k, v in data.items()}
    inputs = table_inputs(g)
    from importlib.metadata import version

    prov = make_provenance(
        inputs=inputs, mesh={"n_modes_rule": inputs["n_modes_rule"], "dt_rule": inputs["dt_rule"], "t_end": T_END},
        materials={}, convergence={"existence_fraction": float(np.mean(data["exists"])),
                                   "max_residual_newton": 1e-12},
        solver="normalised LLE: sqzcomb Strang split-step (batched in jax) + sqzcomb newton_state + "
               "fluctuation_matrix eigenvalues",
        extra={"sqzcomb": version("sqzcomb"), "build_seconds": round(time.time() - t0, 1),
               "build_cpu_seconds": round(time.process_time() - c0, 1), "points": len(keys),
               "points_solved": len(todo), "points_taken_over": len(keys) - len(todo), "platform": "comb"})
    table = ModeTable(name=TABLE_NAME, axes=dict(g), data=data, provenance=prov)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        npz, js = table.save(tmp)
        os.replace(npz, out / npz.name)
        os.replace(js, out / js.name)
    say(f"wrote {out / (TABLE_NAME + '.npz')}")
    return table


_CACHE: dict[str, ModeTable] = {}


def load_dark_pulse(tables_dir: str | Path | None = None) -> ModeTable:
    """The committed ``dark_pulse`` table, hash-checked against :func:`table_inputs` of its own grid
    (a table built with other solver settings or another sqzcomb version is stale)."""
    d = Path(tables_dir or TABLES_DIR)
    key = str(d)
    if key not in _CACHE:
        import json

        js = d / f"{TABLE_NAME}.json"
        grid = None
        if js.exists():
            grid = {k: np.asarray(v) for k, v in json.loads(js.read_text())["axes"].items()}
        _CACHE[key] = load_table(TABLE_NAME, d, inputs_hash=content_hash(table_inputs(grid)) if grid else None,
                                 platform="comb")
    return _CACHE[key]
