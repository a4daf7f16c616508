"""meow mode solving of the Si3N4 strip guide and its ring-bus coupler, into offline tables.

Cross-section: a rectangular Si3N4 core (width x film thickness, ``pdk.sin.tech.SinStack``) buried
in SiO2 (box and top cladding are several decay lengths thick, so the solve domain is all oxide).
Indices come only from ``pdk.materials`` (``si3n4``, ``sio2``), sampled at each solve wavelength
(so n_g and beta2 include material dispersion). The 5 deg sidewall of the stack is neglected (a
trapezoid of the same mid-height width shifts n_eff by < 1e-4, physics.md 1.4 sensitivities).

Tables (``models/tables/``, built by :func:`build_tables`, ``qchipnet modes build --platform sin``):

``sin_straight``  axes ``width_um x thickness_nm x wl_um``; quantities ``n_eff``, ``n_g``,
    ``beta2_ps2_per_km``, ``beta3_ps3_per_km``, ``D_ps_per_nm_km``, ``A_eff_um2``, ``te_fraction``,
    ``core_fraction`` (fraction of |E|^2 in the core). n_g, beta2, beta3 are derivatives of a
    degree-5 polynomial fit of n_eff(omega) along the wavelength axis (same mesh at every
    wavelength, so mesh error is smooth in omega and drops out of the derivatives).
``sin_thermo``  axes ``width_um x thickness_nm`` at LAMBDA0: ``dneff_dT_per_K`` from two solves
    with the material indices at T and T + 10 K (dn/dT of ``pdk.materials``).
``sin_coupler``  axes ``gap_um x width_um x thickness_nm x wl_um``; two identical guides, even and
    odd TE supermodes -> ``log_kappa_per_um`` = ln(pi (n_even - n_odd) / wl) (field coupling per
    unit length; log because it is ~linear in gap, physics.md 1.3), plus ``n_even``, ``n_odd``.

Bend radiation is not tabulated: at the minimum bend radius of the film (400 um at 100 nm,
``pdk.sin.tech.min_bend_radius_um``) meow bend modes give 0.16 dB/m and << 0.01 dB/m at the 1 mm
ring (physics.md 1.4), below 10 % of the 1.7 dB/m propagation loss; the cells reject smaller radii.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..constants import C_M_PER_S, LAMBDA0_UM
from ..pdk.materials import si3n4, sio2
from ..pdk.sin.geometry import SinStack
from .modes import TABLES_DIR, ModeTable, content_hash, load_table, make_provenance, package_versions

__all__ = [
    "MeshSpec",
    "BASE_MESH",
    "COUPLER_MESH",
    "FINE_MESH",
    "STRAIGHT_GRID",
    "COUPLER_GRID",
    "THERMO_GRID",
    "solve_straight",
    "solve_coupler",
    "dispersion_from_neff",
    "straight_inputs",
    "coupler_inputs",
    "thermo_inputs",
    "load_straight",
    "load_coupler",
    "load_thermo",
    "build_tables",
]

from pydantic import Field

from ..validate import Frozen


class MeshSpec(Frozen):
    """Graded FDE mesh: fine steps in the core(s), growing geometrically to ``d_out_um`` outside."""

    dx_core_um: float = Field(0.05, gt=0)
    dy_core_um: float = Field(0.01, gt=0)
    d_out_um: float = Field(0.25, gt=0)
    growth: float = Field(1.1, gt=1)
    xpad_um: float = Field(8.0, gt=0, description="lateral oxide beyond the core edges")
    ypad_um: float = Field(6.0, gt=0, description="oxide above and below the core")
    num_pml: int = Field(10, ge=0)


BASE_MESH = MeshSpec()
#: Coupler mesh: coarser across x (the supermode splitting depends on the smooth evanescent overlap).
COUPLER_MESH = MeshSpec(dx_core_um=0.1, growth=1.15)
#: Refined mesh for the convergence record (every step halved, slower grading, larger domain).
FINE_MESH = MeshSpec(dx_core_um=0.025, dy_core_um=0.005, d_out_um=0.125, growth=1.05, xpad_um=10.0, ypad_um=8.0)

#: Grids. Coverage: designs with film thickness 85-120 nm and guide (coupler mean) widths 1.8-4.0 um
#: (gaps 0.8-4.0 um) plus +-4 sigma of the process (pdk/sin/process.py: thickness 0.78 nm, width
#: bias 28 nm total) stay on the tables. The original grids (width 2.0-3.2, thickness 95-105, gap
#: 1-4) are subsets, so the values at their nodes (the nominal 2.8 um x 100 nm design is one) did
#: not move. Spacing was chosen from 1-D scans (widths every 0.1 um, thickness every 2.5 nm, gaps
#: every 0.1 um) and checked against live solves at off-grid points: cubic (4-point Lagrange)
#: n_eff within 8e-6, n_g within 7.3e-5, beta2 within 0.21 %; multilinear log kappa (what
#: models.sin uses) within 0.015 (cubic 0.0063); multilinear dn_eff/dT within 0.02 %
#: (tests/sin/test_modes_table.py keeps the recorded live values and repeats two live solves).
STRAIGHT_GRID = {
    "width_um": [1.6, 2.0, 2.4, 2.6, 2.8, 3.0, 3.2, 3.8, 4.4],
    "thickness_nm": [80.0, 95.0, 100.0, 105.0, 125.0],
    "wl_um": [round(1.52 + 0.01 * i, 2) for i in range(7)],
}
THERMO_GRID = {"width_um": [1.6, 2.0, 2.4, 2.8, 3.2, 3.8, 4.4], "thickness_nm": [80.0, 95.0, 100.0, 105.0, 125.0]}
COUPLER_GRID = {
    "gap_um": [0.8, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0],
    "width_um": [1.6, 2.2, 2.6, 3.0, 3.6, 4.2],
    "thickness_nm": [80.0, 95.0, 105.0, 125.0],
    "wl_um": [1.52, 1.58],
}
_THERMO_DT_K = 10.0
_SOLVER_REV = 1  # bump when the solve code changes in a way that changes results


def _graded(lo: float, hi: float, cores: list[tuple[float, float]], d_core: float, d_out: float, g: float):
    """1-D mesh: uniform ``d_core`` inside each core interval, geometric growth outside."""
    pts: list[float] = []
    for a, b in cores:
        n = int(math.ceil((b - a) / d_core)) + 1
        pts += list(np.linspace(a, b, n))

    def side(start: float, end: float, sign: int) -> list[float]:
        out, x, d = [], start, d_core
        while sign * (end - x) > 1e-12:
            d = min(d * g, d_out)
            x = x + sign * d
            out.append(x)
        return out

    pts += side(cores[-1][1], hi, +1) + side(cores[0][0], lo, -1)
    for (a0, b0), (a1, b1) in zip(cores[:-1], cores[1:]):  # between cores: grow from both sides
        mid = 0.5 * (b0 + a1)
        pts += [x for x in side(b0, mid, +1) if x < mid] + [x for x in side(a1, mid, -1) if x > mid] + [mid]
    return np.unique(np.round(np.asarray(pts), 6))


def _solve(cores_x: list[tuple[float, float]], thickness_nm: float, wl_um: float, mesh: MeshSpec,
           num_modes: int, dT_K: float = 0.0):
    import meow as mw

    t = thickness_nm * 1e-3
    n_core = si3n4.n(wl_um) + si3n4.dn_dT_per_K * dT_K
    n_clad = sio2.n(wl_um) + sio2.dn_dT_per_K * dT_K
    core = mw.IndexMaterial(name="Si3N4", n=n_core)
    clad = mw.IndexMaterial(name="SiO2", n=n_clad)
    big = 1e3
    structs = [mw.Structure(material=clad, geometry=mw.Box(x_min=-big, x_max=big, y_min=-big, y_max=big,
                                                           z_min=-1.0, z_max=1.0), mesh_order=9)]
    for a, b in cores_x:
        structs.append(mw.Structure(material=core, geometry=mw.Box(x_min=a, x_max=b, y_min=0.0, y_max=t,
                                                                    z_min=-1.0, z_max=1.0), mesh_order=1))
    x = _graded(cores_x[0][0] - mesh.xpad_um, cores_x[-1][1] + mesh.xpad_um, cores_x,
                mesh.dx_core_um, mesh.d_out_um, mesh.growth)
    y = _graded(-mesh.ypad_um, t + mesh.ypad_um, [(0.0, t)], mesh.dy_core_um, mesh.d_out_um, mesh.growth)
    m2d = mw.Mesh2D(x=x, y=y, num_pml=(mesh.num_pml, mesh.num_pml))
    cell = mw.Cell(structures=structs, mesh=m2d, z_min=-0.5, z_max=0.5)
    cs = mw.CrossSection.from_cell(cell=cell, env=mw.Environment(wl=wl_um, T=25.0))
    modes = mw.compute_modes(cs, num_modes=num_modes, target_neff=float(n_core))
    return modes, x, y


def solve_straight(width_um: float, thickness_nm: float, wl_um: float, mesh: MeshSpec = BASE_MESH,
                   dT_K: float = 0.0) -> dict[str, float]:
    """TE0 of the strip guide: ``n_eff``, ``te_fraction``, ``A_eff_um2``, ``core_fraction``."""
    modes, x, y = _solve([(-width_um / 2, width_um / 2)], thickness_nm, wl_um, mesh, 2, dT_K)
    te = [m for m in modes if m.te_fraction > 0.5]
    m = max(te or modes, key=lambda q: q.neff.real)
    e2 = np.abs(m.Ex) ** 2 + np.abs(m.Ey) ** 2 + np.abs(m.Ez) ** 2
    dA = np.diff(x)[:, None] * np.diff(y)[None, :]
    xc, yc = 0.5 * (x[1:] + x[:-1]), 0.5 * (y[1:] + y[:-1])
    in_core = (np.abs(xc)[:, None] <= width_um / 2) & ((yc >= 0) & (yc <= thickness_nm * 1e-3))[None, :]
    tot = float(np.sum(e2 * dA))
    return {
        "n_eff": float(m.neff.real),
        "te_fraction": float(m.te_fraction),
        "A_eff_um2": tot**2 / float(np.sum(e2**2 * dA)),
        "core_fraction": float(np.sum((e2 * dA)[in_core]) / tot),
    }


def solve_coupler(gap_um: float, width_um: float, thickness_nm: float, wl_um: float,
                  mesh: MeshSpec = COUPLER_MESH) -> dict[str, float]:
    """Even/odd TE supermodes of two identical guides ``gap_um`` apart -> coupling per unit length."""
    h = gap_um / 2
    cores = [(-h - width_um, -h), (h, h + width_um)]
    modes, _, _ = _solve(cores, thickness_nm, wl_um, mesh, 4)
    te = sorted([m for m in modes if m.te_fraction > 0.5], key=lambda q: -q.neff.real)
    if len(te) < 2:
        raise RuntimeError(f"coupler solve at gap {gap_um} um found {len(te)} TE supermodes, need 2")
    n_e, n_o = float(te[0].neff.real), float(te[1].neff.real)
    kappa = math.pi * (n_e - n_o) / wl_um
    if kappa <= 0:
        raise RuntimeError(f"non-positive supermode splitting at gap {gap_um} um: {n_e} {n_o}")
    return {"n_even": n_e, "n_odd": n_o, "log_kappa_per_um": math.log(kappa)}


def dispersion_from_neff(wl_um: np.ndarray, n_eff: np.ndarray, deg: int = 5) -> dict[str, np.ndarray]:
    """n_g, beta2, beta3, D at each ``wl_um`` from a polynomial fit of beta(omega) = n_eff omega / c.

    Returns arrays ``n_g``, ``beta2_ps2_per_km``, ``beta3_ps3_per_km``, ``D_ps_per_nm_km``.
    """
    wl = np.asarray(wl_um, float)
    om = 2 * np.pi * C_M_PER_S / (wl * 1e-6)  # rad/s
    om0 = om.mean()
    s = 1e13  # scale omega for conditioning
    u = (om - om0) / s
    beta = np.asarray(n_eff) * om / C_M_PER_S  # 1/m
    p = np.polynomial.Polynomial.fit(u, beta, min(deg, len(wl) - 2))
    b1 = p.deriv(1)(u) / s
    b2 = p.deriv(2)(u) / s**2
    b3 = p.deriv(3)(u) / s**3
    return {
        "n_g": b1 * C_M_PER_S,
        "beta2_ps2_per_km": b2 * 1e24 * 1e3,
        "beta3_ps3_per_km": b3 * 1e36 * 1e3,
        "D_ps_per_nm_km": -2 * np.pi * C_M_PER_S / (wl * 1e-6) ** 2 * b2 * 1e12 / 1e9 * 1e3,
    }


def _materials_record(wls: list[float], dT_K: float = 0.0) -> dict:
    return {
        "Si3N4": {"source": si3n4.source, "n": [si3n4.n(w) for w in wls], "dn_dT": si3n4.dn_dT_per_K},
        "SiO2": {"source": sio2.source, "n": [sio2.n(w) for w in wls], "dn_dT": sio2.dn_dT_per_K},
    }


def _common_inputs(grid: dict, wls: list[float]) -> dict:
    return {
        "solver_rev": _SOLVER_REV,
        "stack": SinStack().model_dump(),
        "grid": grid,
        "mesh": BASE_MESH.model_dump(),
        "materials": _materials_record(wls),
    }


def straight_inputs() -> dict:
    """Everything that determines ``sin_straight`` (its content hash is stored in the table)."""
    return {"table": "sin_straight", **_common_inputs(STRAIGHT_GRID, STRAIGHT_GRID["wl_um"]), "fit_deg": 5}


def thermo_inputs() -> dict:
    return {"table": "sin_thermo", **_common_inputs(THERMO_GRID, [LAMBDA0_UM]), "wl_um": LAMBDA0_UM,
            "dT_K": _THERMO_DT_K}


def coupler_inputs() -> dict:
    return {"table": "sin_coupler", **_common_inputs(COUPLER_GRID, COUPLER_GRID["wl_um"]),
            "coupler_mesh": COUPLER_MESH.model_dump()}


_CACHE: dict[str, ModeTable] = {}


def _load(name: str, inputs: Callable[[], dict], tables_dir: Path | None) -> ModeTable:
    key = f"{name}@{tables_dir}"
    if key not in _CACHE:
        _CACHE[key] = load_table(name, tables_dir or TABLES_DIR, inputs_hash=content_hash(inputs()), platform="sin")
    return _CACHE[key]


def load_straight(tables_dir: Path | None = None) -> ModeTable:
    """The committed ``sin_straight`` table (hash-checked against the current PDK)."""
    return _load("sin_straight", straight_inputs, tables_dir)


def load_coupler(tables_dir: Path | None = None) -> ModeTable:
    return _load("sin_coupler", coupler_inputs, tables_dir)


def load_thermo(tables_dir: Path | None = None) -> ModeTable:
    return _load("sin_thermo", thermo_inputs, tables_dir)


# --------------------------------------------------------------------------------------- build
def _convergence_straight() -> dict:
    w, t = 2.8, 100.0
    wls = STRAIGHT_GRID["wl_um"]
    rec = {}
    for label, mesh in (("base", BASE_MESH), ("fine", FINE_MESH)):
        ns = [solve_straight(w, t, wl, mesh)["n_eff"] for wl in wls]
        d = dispersion_from_neff(np.array(wls), np.array(ns))
        i = int(np.argmin(np.abs(np.array(wls) - 1.55)))
        rec[label] = {"n_eff": ns[i], "n_g": float(d["n_g"][i]), "beta2_ps2_per_km": float(d["beta2_ps2_per_km"][i])}
    diff = {k: abs(rec["fine"][k] - rec["base"][k]) for k in rec["base"]}
    return {"point": {"width_um": w, "thickness_nm": t, "wl_um": 1.55}, "base_mesh": BASE_MESH.model_dump(),
            "fine_mesh": FINE_MESH.model_dump(), "base": rec["base"], "fine": rec["fine"], "abs_diff": diff,
            # tolerance a live recomputation on the base mesh must meet (ARPACK/platform noise)
            "tolerance": {"n_eff": 2e-5, "n_g": 2e-4, "beta2_ps2_per_km": 10.0}}


def _convergence_coupler() -> dict:
    p = {"gap_um": 2.0, "width_um": 3.0, "thickness_nm": 105.0, "wl_um": 1.58}
    base = solve_coupler(mesh=COUPLER_MESH, **p)
    fine = solve_coupler(mesh=FINE_MESH, **p)
    return {"point": p, "base": base, "fine": fine,
            "abs_diff": {k: abs(fine[k] - base[k]) for k in base},
            "tolerance": {"log_kappa_per_um": 0.02, "n_even": 2e-5, "n_odd": 2e-5}}


def _provenance(inputs: dict, convergence: dict, seconds: float, mesh: MeshSpec = BASE_MESH,
                reuse: dict | None = None) -> dict:
    extra = {"build_seconds": round(seconds, 1), "platform": "sin"}
    if reuse is not None:
        extra["reuse"] = reuse
    return make_provenance(
        inputs=inputs, mesh=mesh.model_dump(),
        materials={"Si3N4": si3n4.source, "SiO2": sio2.source}, convergence=convergence, extra=extra,
    )


def _key(values) -> tuple[float, ...]:
    return tuple(round(float(v), 9) for v in values)


class _Reuse:
    """Grid points of the table already in ``out_dir`` that were solved from the same inputs.

    A point is taken over from the existing ``<name>.npz`` only if that table's stored inputs equal
    the current ones in everything but the grid (solver revision, stack, mesh, materials, fit),
    its package versions equal the installed ones, and one of its points re-solved now agrees to
    rtol 1e-8 (the solves are deterministic; the check guards against a changed library). Growing
    a grid then costs only the new points. ``enabled=False`` (or any mismatch) solves everything.
    """

    def __init__(self, name: str, out_dir: str | Path, inputs: dict, quantities: tuple[str, ...],
                 resolve: Callable[..., dict[str, float]], enabled: bool = True):
        self.points: dict[tuple[float, ...], dict[str, float]] = {}
        self.record: dict = {"reused_points": 0, "solved_points": 0}
        if not enabled:
            self.record["note"] = "disabled: every point solved"
            return
        js = Path(out_dir) / f"{name}.json"
        if not js.exists():
            return
        try:
            meta = json.loads(js.read_text())
            old = load_table(name, out_dir)
        except Exception as exc:  # unreadable table: solve everything
            self.record["note"] = f"existing table unreadable ({exc.__class__.__name__})"
            return

        def strip(d: dict) -> dict:
            return {k: v for k, v in d.items() if k != "grid"}

        stored = meta.get("inputs") or {}
        if (content_hash(stored) != meta.get("inputs_hash")
                or content_hash(strip(stored)) != content_hash(strip(inputs))
                or meta.get("versions") != package_versions()
                or list(old.axes) != list(inputs["grid"])
                or any(q not in old.data for q in quantities)):
            self.record["note"] = "existing table computed from other inputs or versions: every point solved"
            return
        names = list(old.axes)
        pts = {}
        for idx in np.ndindex(*old.data[quantities[0]].shape):
            pts[_key(old.axes[a][i] for a, i in zip(names, idx))] = {q: float(old.data[q][idx]) for q in quantities}
        new_keys = {_key(c) for c in itertools.product(*inputs["grid"].values())}
        common = [k for k in pts if k in new_keys]
        if not common:
            return
        probe = common[0]
        live = resolve(*probe)
        diff = max(abs(live[q] - pts[probe][q]) for q in quantities)
        ok = all(math.isclose(live[q], pts[probe][q], rel_tol=1e-8, abs_tol=1e-12) for q in quantities)
        self.record.update({"from_created": meta.get("created"), "from_arrays_hash": meta.get("arrays_hash"),
                            "check": {"point": dict(zip(names, probe)), "max_abs_diff": diff, "passed": ok}})
        if ok:
            self.points = pts
        else:
            self.record["note"] = "re-solved point disagrees with the existing table: every point solved"

    def get(self, coords, solve: Callable[[], dict[str, float]]) -> dict[str, float]:
        """The stored values at ``coords`` if reusable, else ``solve()``."""
        hit = self.points.get(_key(coords))
        if hit is not None:
            self.record["reused_points"] += 1
            return hit
        self.record["solved_points"] += 1
        return solve()


def build_tables(out_dir: str | Path = TABLES_DIR, progress: Callable[[str], None] | None = print,
                 only: tuple[str, ...] = ("sin_straight", "sin_thermo", "sin_coupler"),
                 reuse: bool = True) -> list[Path]:
    """Solve every grid point with meow and write the ``sin_*`` tables to ``out_dir``.

    Points already present in a table in ``out_dir`` that was computed from the same inputs (all
    but the grid) are taken over (see :class:`_Reuse`; ``reuse=False`` solves everything). A full
    solve of every grid point takes ~50 CPU-min (about 3 s per straight solve, 3-13 s per coupler
    solve, one thread). ``progress`` receives one line per solve batch.
    """
    say = progress or (lambda s: None)
    out: list[Path] = []
    if "sin_straight" in only:
        t0 = time.time()
        g = STRAIGHT_GRID
        shape = (len(g["width_um"]), len(g["thickness_nm"]), len(g["wl_um"]))
        arr = {k: np.zeros(shape) for k in ("n_eff", "te_fraction", "A_eff_um2", "core_fraction")}
        ru = _Reuse("sin_straight", out_dir, straight_inputs(), tuple(arr), solve_straight, reuse)
        for i, w in enumerate(g["width_um"]):
            for j, t in enumerate(g["thickness_nm"]):
                for k, wl in enumerate(g["wl_um"]):
                    r = ru.get((w, t, wl), lambda: solve_straight(w, t, wl))
                    for q in arr:
                        arr[q][i, j, k] = r[q]
                say(f"sin_straight width {w} um thickness {t} nm done ({time.time() - t0:.0f} s)")
        disp = {q: np.zeros(shape) for q in ("n_g", "beta2_ps2_per_km", "beta3_ps3_per_km", "D_ps_per_nm_km")}
        for i in range(shape[0]):
            for j in range(shape[1]):
                d = dispersion_from_neff(np.array(g["wl_um"]), arr["n_eff"][i, j])
                for q in disp:
                    disp[q][i, j] = d[q]
        say("sin_straight convergence check (fine mesh)")
        conv = _convergence_straight()
        tab = ModeTable("sin_straight", {k: np.array(v) for k, v in g.items()}, {**arr, **disp},
                        _provenance(straight_inputs(), conv, time.time() - t0, reuse=ru.record))
        out += list(tab.save(out_dir))
    if "sin_thermo" in only:
        t0 = time.time()
        g = THERMO_GRID
        d = np.zeros((len(g["width_um"]), len(g["thickness_nm"])))

        def dndt(w: float, t: float) -> dict[str, float]:
            n0 = solve_straight(w, t, LAMBDA0_UM)["n_eff"]
            n1 = solve_straight(w, t, LAMBDA0_UM, dT_K=_THERMO_DT_K)["n_eff"]
            return {"dneff_dT_per_K": (n1 - n0) / _THERMO_DT_K}

        ru = _Reuse("sin_thermo", out_dir, thermo_inputs(), ("dneff_dT_per_K",), dndt, reuse)
        for i, w in enumerate(g["width_um"]):
            for j, t in enumerate(g["thickness_nm"]):
                d[i, j] = ru.get((w, t), lambda: dndt(w, t))["dneff_dT_per_K"]
            say(f"sin_thermo width {w} um done ({time.time() - t0:.0f} s)")
        conv = {"note": "finite difference over +10 K on the base mesh; mesh error cancels in the difference",
                "point": {"width_um": 2.8, "thickness_nm": 100.0},
                "fine": (solve_straight(2.8, 100.0, LAMBDA0_UM, FINE_MESH, _THERMO_DT_K)["n_eff"]
                         - solve_straight(2.8, 100.0, LAMBDA0_UM, FINE_MESH)["n_eff"]) / _THERMO_DT_K}
        conv["base"] = float(d[g["width_um"].index(2.8), g["thickness_nm"].index(100.0)])
        conv["abs_diff"] = abs(conv["fine"] - conv["base"])
        tab = ModeTable("sin_thermo", {k: np.array(v) for k, v in g.items()}, {"dneff_dT_per_K": d},
                        _provenance(thermo_inputs(), conv, time.time() - t0, reuse=ru.record))
        out += list(tab.save(out_dir))
    if "sin_coupler" in only:
        t0 = time.time()
        g = COUPLER_GRID
        shape = tuple(len(v) for v in g.values())
        arr = {k: np.zeros(shape) for k in ("n_even", "n_odd", "log_kappa_per_um")}
        ru = _Reuse("sin_coupler", out_dir, coupler_inputs(), tuple(arr), solve_coupler, reuse)
        for idx in np.ndindex(*shape):
            p = {k: g[k][i] for k, i in zip(g, idx)}
            r = ru.get(tuple(p.values()), lambda: solve_coupler(**p))
            for q in arr:
                arr[q][idx] = r[q]
            if idx[-1] == shape[-1] - 1:
                say(f"sin_coupler {json.dumps(p)} kappa {math.exp(r['log_kappa_per_um']):.3e}/um "
                    f"({time.time() - t0:.0f} s)")
        say("sin_coupler convergence check (fine mesh)")
        conv = _convergence_coupler()
        tab = ModeTable("sin_coupler", {k: np.array(v) for k, v in g.items()}, arr,
                        _provenance(coupler_inputs(), conv, time.time() - t0, COUPLER_MESH, reuse=ru.record))
        out += list(tab.save(out_dir))
    return out
