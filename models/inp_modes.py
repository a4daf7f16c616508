"""Mode tables of the InP ridges (meow FDE): n_eff, n_g and confinement over width x etch x core.

Cross-section (x lateral, y vertical, z = 0 at the bottom of the core), built from
:class:`qchipnet.pdk.inp.tech.EpiStack` and the dispersive indices of :mod:`qchipnet.pdk.materials`
(InP, lattice-matched ``Q(lambda_g)`` InGaAsP, BCB, air):

- **deep ridge**: a ridge of width ``width_um`` made of lower InP (``etch_um`` = etch below the core),
  the Q core (``core_um``) and the InP top cladding, standing on the InP substrate; BCB fills the
  trenches up to the top of the ridge, air above;
- **shallow ridge**: InP substrate and a core slab of thickness ``core_um - etch_um`` everywhere
  (``etch_um`` = shallow etch into the core), the rest of the core and the top cladding form the
  ridge; BCB beside it, air above.

Simplifications (stated, small against the process spread): vertical sidewalls (the 5 deg of the
stack would lower n_eff by ~1e-3), the 100 nm contact layer and the metals are left out (they sit
1.5 um above the core where the TE0 field is < 1e-3 of its peak), lossless materials.

Quantities per grid point (TE0, found with ``target_neff`` and the largest TE fraction):
``n_eff``; ``n_g = n_eff - wl dn_eff/dwl`` (second-order finite difference over the wavelength
axis, material dispersion included because every wavelength is a separate solve);
``gamma_core``: fraction of |E|^2 in the core (the intrinsic region of the p-i-n phase modulator,
so it is also the confinement in the electro-optic region); ``gamma_eo``: fraction of |E_x|^2 (the TE
field component, the one the vertical modulating field couples through r41) in the core.

Tables: ``inp_deep`` (width x etch below core x core thickness x wavelength) and ``inp_shallow``
(width x etch into core x core thickness x wavelength), stored by :func:`build_tables` in
``models/tables`` with provenance (versions, mesh, materials, grid, content hash of the inputs,
mesh-refinement convergence record) through the shared machinery of :mod:`qchipnet.models.modes`.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..pdk.inp.geometry import EpiStack
from ..pdk.materials import get_material
from ..validate import check_range
from .modes import TABLES_DIR, ModeTable, content_hash, load_table, make_provenance

__all__ = [
    "DEEP_AXES",
    "SHALLOW_AXES",
    "MESH",
    "solve_point",
    "table_inputs",
    "build_tables",
    "load_inp_table",
]

#: Grid of the deep-ridge table (um). Coverage: +-4 sigma (total, pdk/inp/process.py) of every
#: sampled parameter around its nominal (etch below core 1.0 +- 0.26, core 0.5 +- 0.026) and deep
#: ridge designs of 1.2-2.0 um plus the process width bias (+-4 sigma = +-0.20 um). Below 0.95 um
#: the TE0 mode of a 0.45 um core at 1.57 um drops under the InP substrate index (leaky; the solve
#: finds only TM/substrate modes at 0.9 um), so 0.95 um is the physical lower edge. The original
#: grid (widths 1.0/1.5/2.0, etch 0.8/1.2, core 0.45/0.55) is a subset, so the values at the
#: nominal point did not change; the widths 1.1-2.25 between the original nodes cut the
#: multilinear n_eff error along the width from 5.8e-3 (at 1.2 um) to below 1e-3 (1-D scan at
#: 0.05 um steps). n_eff is nearly independent of the etch once it is below the core (3.6e-6
#: between 0.8 and 1.2); the core axis keeps its two nodes, and the midpoint (the nominal 0.5 um)
#: costs 4.9e-4 in n_eff and 0.028 in gamma_eo against a live solve (V_pi is calibrated there).
DEEP_AXES: dict[str, tuple[float, ...]] = {
    "width_um": (0.95, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5),
    "etch_um": (0.6, 0.8, 1.2, 1.4),
    "core_um": (0.45, 0.55),
    "wl_um": (1.53, 1.55, 1.57),
}
#: Grid of the shallow-ridge table (um); ``etch_um`` is the etch into the core. The 2.0 um ridge
#: +- 4 sigma of the width bias (1.80-2.20) and the core +- 4 sigma are inside (unchanged grid).
SHALLOW_AXES: dict[str, tuple[float, ...]] = {
    "width_um": (1.6, 2.4),
    "etch_um": (0.05, 0.15),
    "core_um": (0.45, 0.55),
    "wl_um": (1.53, 1.55, 1.57),
}
#: FDE mesh (um): uniform step, lateral margin beside the ridge, space below/above, PML cells.
MESH: dict[str, Any] = {"step_um": 0.05, "margin_um": 2.5, "below_um": 1.5, "above_um": 1.0, "num_pml": 10}
#: Refined mesh of the convergence record.
MESH_FINE: dict[str, Any] = {**MESH, "step_um": 0.035}


def _structures(kind: str, width_um: float, etch_um: float, core_um: float, wl_um: float, epi: EpiStack):
    import meow as mw

    def mat(name: str):
        return mw.IndexMaterial(name=name.replace(".", "p"), n=float(get_material(name).n(wl_um)))

    inp, q, bcb, air = mat("InP"), mat(epi.core_material), mat("BCB"), mat("air")
    tt = epi.top_clad_um
    big = 50.0
    w2 = width_um / 2
    s = []

    def box(m, x0, x1, y0, y1, order):
        s.append(mw.Structure(material=m, geometry=mw.Box(x_min=x0, x_max=x1, y_min=y0, y_max=y1,
                                                            z_min=-1.0, z_max=1.0), mesh_order=order))

    top = core_um + tt
    if kind == "deep":
        box(air, -big, big, -big, big, 9)
        box(bcb, -big, big, -big, top, 8)
        box(inp, -big, big, -big, -etch_um, 5)
        box(inp, -w2, w2, -etch_um, 0.0, 4)
        box(q, -w2, w2, 0.0, core_um, 1)
        box(inp, -w2, w2, core_um, top, 3)
    elif kind == "shallow":
        slab = core_um - etch_um
        box(air, -big, big, -big, big, 9)
        box(bcb, -big, big, -big, top, 8)
        box(inp, -big, big, -big, 0.0, 5)
        box(q, -big, big, 0.0, slab, 2)
        box(q, -w2, w2, slab, core_um, 1)
        box(inp, -w2, w2, core_um, top, 3)
    else:
        raise ValueError(f"kind = {kind!r}; choose 'deep' or 'shallow'")
    return s, top


def _mesh(width_um: float, top_um: float, bottom_um: float, mesh: dict[str, Any]):
    import meow as mw

    h = mesh["step_um"]
    xm = width_um / 2 + mesh["margin_um"]
    nx = int(round(2 * xm / h))
    y0, y1 = bottom_um - mesh["below_um"], top_um + mesh["above_um"]
    ny = int(round((y1 - y0) / h))
    return mw.Mesh2D(x=np.linspace(-xm, xm, nx + 1), y=np.linspace(y0, y1, ny + 1),
                     num_pml=(mesh["num_pml"], mesh["num_pml"]))


def solve_point(kind: str, *, width_um: float, etch_um: float, core_um: float, wl_um: float,
                epi: EpiStack | None = None, mesh: dict[str, Any] | None = None) -> dict[str, float]:
    """One FDE solve: ``{"n_eff", "gamma_core", "gamma_eo", "te_fraction"}`` of the TE0 mode."""
    import meow as mw

    epi = epi or EpiStack()
    mesh = mesh or MESH
    check_range("width_um", width_um, 0.8, 5.0, "um")
    check_range("core_um", core_um, 0.2, 1.0, "um")
    check_range("wl_um", wl_um, 1.45, 1.65, "um")
    structs, top = _structures(kind, width_um, etch_um, core_um, wl_um, epi)
    bottom = -etch_um if kind == "deep" else 0.0
    m = _mesh(width_um, top, bottom, mesh)
    cell = mw.Cell(structures=structs, mesh=m, z_min=0.0, z_max=1.0)
    cs = mw.CrossSection.from_cell(cell=cell, env=mw.Environment(wl=wl_um, T=25.0))
    n_core = float(get_material(epi.core_material).n(wl_um))
    modes = mw.compute_modes(cs, num_modes=2, target_neff=n_core)
    modes = sorted(modes, key=lambda md: (-round(md.te_fraction, 1), -np.real(md.neff)))
    md = modes[0]
    X, Y = m.Xz, m.Yz  # field grid (cell corners); good enough for energy fractions on a uniform mesh
    ex2 = np.abs(md.Ex) ** 2
    e2 = ex2 + np.abs(md.Ey) ** 2 + np.abs(md.Ez) ** 2
    in_core = (np.abs(X) <= width_um / 2) & (Y >= 0.0) & (Y <= core_um)
    return {
        "n_eff": float(np.real(md.neff)),
        "gamma_core": float(e2[in_core].sum() / e2.sum()),
        "gamma_eo": float(ex2[in_core].sum() / ex2.sum()),
        "te_fraction": float(md.te_fraction),
    }


def table_inputs(kind: str, epi: EpiStack | None = None) -> dict[str, Any]:
    """Everything a table depends on (hashed into its provenance)."""
    epi = epi or EpiStack()
    axes = DEEP_AXES if kind == "deep" else SHALLOW_AXES
    wl = np.asarray(axes["wl_um"])
    mats = {name: get_material(name).n(wl) for name in ("InP", epi.core_material, "BCB", "air")}
    return {
        "kind": kind,
        "epi": epi.model_dump(),
        "axes": {k: list(v) for k, v in axes.items()},
        "mesh": MESH,
        "materials_on_wl_grid": {k: np.atleast_1d(v) for k, v in mats.items()},
        "model_version": 1,
    }


def _ng(neff: np.ndarray, wl: np.ndarray) -> np.ndarray:
    """n_g = n - wl dn/dwl along the last axis (np.gradient, second order on the 3-point axis)."""
    dn = np.gradient(neff, wl, axis=-1, edge_order=2)
    return neff - wl * dn


def _build_one(kind: str, out_dir: Path, progress: Callable[[str], None]) -> Path:
    epi = EpiStack()
    axes = DEEP_AXES if kind == "deep" else SHALLOW_AXES
    names = list(axes)
    shape = tuple(len(v) for v in axes.values())
    q = {k: np.zeros(shape) for k in ("n_eff", "gamma_core", "gamma_eo", "te_fraction")}
    total, done, t0 = int(np.prod(shape)), 0, time.time()
    for idx in np.ndindex(*shape):
        pt = {n: axes[n][i] for n, i in zip(names, idx)}
        r = solve_point(kind, epi=epi, **pt)
        for k in q:
            q[k][idx] = r[k]
        done += 1
        progress(f"inp_{kind}: {done}/{total} {pt} n_eff={r['n_eff']:.5f} ({time.time() - t0:.0f} s)")
    q["n_g"] = _ng(q["n_eff"], np.asarray(axes["wl_um"]))
    # convergence record: nominal point on the table mesh and on a mesh twice as fine
    nominal = {"width_um": 1.5 if kind == "deep" else 2.0, "etch_um": 1.0 if kind == "deep" else 0.1,
               "core_um": 0.5, "wl_um": 1.55}
    coarse = solve_point(kind, epi=epi, **nominal)
    fine = solve_point(kind, epi=epi, mesh=MESH_FINE, **nominal)
    conv = {
        "point": nominal,
        "mesh_step_um": [MESH["step_um"], MESH_FINE["step_um"]],
        "n_eff": [coarse["n_eff"], fine["n_eff"]],
        "gamma_core": [coarse["gamma_core"], fine["gamma_core"]],
        "abs_dn_eff": abs(coarse["n_eff"] - fine["n_eff"]),
        "abs_dgamma_core": abs(coarse["gamma_core"] - fine["gamma_core"]),
        # tolerance a live recomputation on the table mesh must meet (solver repeatability + interp)
        "tolerance_n_eff": max(5e-4, 2 * abs(coarse["n_eff"] - fine["n_eff"])),
        "tolerance_gamma": max(0.01, 2 * abs(coarse["gamma_core"] - fine["gamma_core"])),
    }
    progress(f"inp_{kind}: convergence {conv}")
    inputs = table_inputs(kind, epi)
    prov = make_provenance(
        inputs=inputs, mesh=MESH,
        materials={n: get_material(n).source for n in ("InP", epi.core_material, "BCB", "air")},
        convergence=conv,
        extra={"mode": "TE0 (largest TE fraction, then largest n_eff)", "build_seconds": round(time.time() - t0, 1)},
    )
    table = ModeTable(name=f"inp_{kind}", axes={k: np.asarray(v) for k, v in axes.items()}, data=q, provenance=prov)
    npz, _ = table.save(out_dir)
    return npz


def build_tables(out_dir: str | Path = TABLES_DIR, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Solve both InP tables with meow and write ``inp_deep`` and ``inp_shallow`` (npz + json)."""
    progress = progress or (lambda s: None)
    out = Path(out_dir)
    return [_build_one(kind, out, progress) for kind in ("deep", "shallow")]


@functools.lru_cache(maxsize=4)
def load_inp_table(kind: str, tables_dir: str | None = None) -> ModeTable:
    """The committed ``inp_<kind>`` table, checked against the current PDK inputs (stale -> error)."""
    d = Path(tables_dir) if tables_dir else TABLES_DIR
    return load_table(f"inp_{kind}", d, inputs_hash=content_hash(table_inputs(kind)), platform="inp")
