"""Offline mode tables: gridded mode-solver results with provenance, interpolated in jax.

Platform-neutral machinery shared by ``models/sin_modes.py`` and ``models/inp_modes.py``. A slow
mode solver (meow FDE) fills a :class:`ModeTable` once, offline (``qchipnet modes build --platform
...``); the table is committed as ``models/tables/<name>.npz`` (arrays) + ``<name>.json``
(provenance); run time interpolates it in jax (differentiable, vectorised, jit-able).

API
---
``ModeTable(name, axes, data, provenance)``
    ``axes``: ordered ``{axis_name: 1-D strictly increasing array}``, e.g.
    ``{"width_um": [...], "thickness_nm": [...], "wl_um": [...]}``; ``data``: ``{quantity:
    array of shape tuple(len(a) for a in axes.values())}`` (e.g. ``n_eff, n_g, beta2_ps2_per_km,
    A_eff_um2, te_fraction, log_kappa_per_um``); ``provenance``: JSON-able dict (see
    :func:`make_provenance`).
``table.interp(quantity, *, method="linear"|"cubic", **coords)``
    Interpolate at coordinates given per axis by keyword (every axis required). Scalars, numpy or
    ``jax.numpy`` arrays are accepted and broadcast together; returns a ``jax.Array`` of the
    broadcast shape. Concrete inputs outside an axis' grid raise :class:`~qchipnet.validate.InputError`
    naming the table, axis, value and range (no extrapolation). Inside ``jax.jit`` / ``grad`` the
    values are tracers and cannot be checked: check at the public entry point (e.g. with
    :meth:`ModeTable.check_coords`) before tracing. ``method="linear"`` is multilinear (C0);
    ``"cubic"`` is tensor-product 4-point Lagrange on the (possibly non-uniform) grid (exact for
    cubics, falls back to fewer points on axes shorter than 4).
``table.check_coords(**coords)``
    The range check alone.
``table.save(out_dir)`` / ``load_table(name, tables_dir=TABLES_DIR, *, inputs_hash=None, platform=None)``
    Write / read ``<name>.npz`` + ``<name>.json``. ``load_table`` compares the stored
    ``provenance["inputs_hash"]`` with ``inputs_hash`` (the hash of the *current* inputs that the
    platform module computes with :func:`content_hash`) and raises :class:`StaleTableError`
    telling the user to run ``qchipnet modes build --platform <platform>`` when they differ or the
    file is missing.
``content_hash(obj)``
    SHA-256 (hex, 16 chars) of a canonical JSON dump of ``obj`` (dicts sorted, floats repr'd,
    numpy arrays as lists): hash the cross-section, the material indices sampled on the grid,
    the grid and the mesh settings, so that editing ``pdk/materials.py`` or the stack makes the
    committed tables stale.
``make_provenance(*, inputs, mesh, materials, convergence, solver="meow", extra=None)``
    Standard provenance dict: package versions (meow-sim, tidy3d, numpy, jax), ``inputs_hash``,
    mesh, materials (name -> source), grid, convergence record, UTC creation date.

Conventions: quantities carry their unit in the name; wavelength axes are ``wl_um``. The first
interpolation switches jax to float64 (``jax_enable_x64``), exactly as importing sax/klujax does.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

import numpy as np

from ..validate import InputError, QchipnetError

__all__ = [
    "TABLES_DIR",
    "ModeTable",
    "StaleTableError",
    "load_table",
    "content_hash",
    "make_provenance",
    "package_versions",
]

#: Directory of the committed tables.
TABLES_DIR = Path(__file__).parent / "tables"

Method = Literal["linear", "cubic"]


class StaleTableError(QchipnetError):
    """A committed table is missing or was computed from other inputs than the current PDK."""


def _canon(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _canon(obj[k]) for k in sorted(obj, key=str)}
    if isinstance(obj, (list, tuple)):
        return [_canon(x) for x in obj]
    if isinstance(obj, np.ndarray):
        return [_canon(x) for x in obj.tolist()]
    if isinstance(obj, (float, np.floating)):
        return repr(round(float(obj), 12))
    if isinstance(obj, (np.integer,)):
        return int(obj)
    return obj


def content_hash(obj: Any) -> str:
    """Short SHA-256 of a canonical JSON dump of ``obj`` (order- and float-format-independent)."""
    s = json.dumps(_canon(obj), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(s.encode()).hexdigest()[:16]


def package_versions() -> dict[str, str]:
    """Versions of the packages a table depends on (``"absent"`` if not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("meow-sim", "tidy3d", "numpy", "scipy", "jax"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def make_provenance(
    *,
    inputs: Mapping[str, Any],
    mesh: Mapping[str, Any],
    materials: Mapping[str, str],
    convergence: Mapping[str, Any],
    solver: str = "meow FDE (tidy3d local mode solver)",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Provenance record stored in ``<name>.json`` beside the arrays."""
    prov = {
        "solver": solver,
        "versions": package_versions(),
        "inputs_hash": content_hash(inputs),
        "inputs": _canon(inputs),
        "mesh": dict(mesh),
        "materials": dict(materials),
        "convergence": dict(convergence),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if extra:
        prov.update(dict(extra))
    return prov


def _fmt(x: float) -> str:
    return f"{x:.6g}"


@dataclass(frozen=True)
class ModeTable:
    """Gridded quantities over named axes, with provenance; see the module docstring."""

    name: str
    axes: dict[str, np.ndarray]
    data: dict[str, np.ndarray]
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shape = []
        for k, a in self.axes.items():
            a = np.asarray(a, dtype=float)
            if a.ndim != 1 or a.size < 1:
                raise InputError(f"table {self.name!r}: axis {k!r} must be a non-empty 1-D array")
            if a.size > 1 and not np.all(np.diff(a) > 0):
                raise InputError(f"table {self.name!r}: axis {k!r} must be strictly increasing, got {a}")
            self.axes[k] = a
            shape.append(a.size)
        for q, v in self.data.items():
            v = np.asarray(v, dtype=float)
            if v.shape != tuple(shape):
                raise InputError(
                    f"table {self.name!r}: quantity {q!r} has shape {v.shape}, axes need {tuple(shape)}"
                )
            self.data[q] = v

    # ------------------------------------------------------------------ info
    @property
    def axis_names(self) -> tuple[str, ...]:
        return tuple(self.axes)

    @property
    def quantities(self) -> tuple[str, ...]:
        return tuple(self.data)

    def axis_range(self, axis: str) -> tuple[float, float]:
        """(min, max) of ``axis``."""
        a = self.axes[axis]
        return float(a[0]), float(a[-1])

    # ----------------------------------------------------------------- check
    def check_coords(self, **coords: Any) -> None:
        """Raise :class:`InputError` for a missing/unknown axis or a value outside an axis' grid."""
        missing = [a for a in self.axes if a not in coords]
        unknown = [c for c in coords if c not in self.axes]
        if missing or unknown:
            raise InputError(
                f"table {self.name!r} needs coordinates {list(self.axes)}; missing {missing}, unknown {unknown}"
            )
        for ax, v in coords.items():
            if type(v).__module__.startswith("jax") and not _is_concrete(v):
                continue
            arr = np.asarray(v, dtype=float)
            lo, hi = self.axis_range(ax)
            tol = 1e-9 * max(1.0, abs(hi))
            if not np.all(np.isfinite(arr)):
                raise InputError(f"{ax} = {v!r} is not finite (table {self.name!r})")
            bad = (arr < lo - tol) | (arr > hi + tol)
            if np.any(bad):
                x = float(arr[bad].flat[0])
                raise InputError(
                    f"{ax} = {_fmt(x)} is outside the grid of mode table {self.name!r}: allowed range "
                    f"[{_fmt(lo)}, {_fmt(hi)}] (no extrapolation; rebuild the table with a wider grid)"
                )

    # ---------------------------------------------------------------- interp
    def interp(self, quantity: str, *, method: Method = "linear", **coords: Any):
        """Interpolate ``quantity`` at ``coords`` (one keyword per axis); returns a jax array."""
        _ensure_x64()
        import jax.numpy as jnp

        if quantity not in self.data:
            raise InputError(f"table {self.name!r} has no quantity {quantity!r}; known: {list(self.data)}")
        if method not in ("linear", "cubic"):
            raise InputError(f"method = {method!r}; choose 'linear' or 'cubic'")
        self.check_coords(**coords)
        xs = tuple(jnp.asarray(coords[a], dtype=jnp.float64) for a in self.axes)
        return _interp_kernel(self.data[quantity], tuple(self.axes.values()), xs, method)

    def interp_many(self, quantities: tuple[str, ...], *, method: Method = "linear", **coords: Any):
        """Several quantities at the same coordinates in one gather: a jax array ``(*shape, Q)``."""
        _ensure_x64()
        import jax.numpy as jnp

        for q in quantities:
            if q not in self.data:
                raise InputError(f"table {self.name!r} has no quantity {q!r}; known: {list(self.data)}")
        if method not in ("linear", "cubic"):
            raise InputError(f"method = {method!r}; choose 'linear' or 'cubic'")
        self.check_coords(**coords)
        key = ("stack",) + tuple(quantities)
        cache = self.__dict__.setdefault("_stacks", {})
        if key not in cache:
            cache[key] = np.stack([self.data[q] for q in quantities], axis=-1)
        xs = tuple(jnp.asarray(coords[a], dtype=jnp.float64) for a in self.axes)
        return _interp_kernel(cache[key], tuple(self.axes.values()), xs, method)

    def __call__(self, quantity: str, **coords: Any):
        """Shorthand for :meth:`interp` with multilinear interpolation."""
        return self.interp(quantity, **coords)

    # -------------------------------------------------------------------- io
    def save(self, out_dir: str | Path) -> tuple[Path, Path]:
        """Write ``<out_dir>/<name>.npz`` and ``<name>.json``; returns both paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        npz, js = out / f"{self.name}.npz", out / f"{self.name}.json"
        arrays = {f"axis__{k}": v for k, v in self.axes.items()}
        arrays.update({f"data__{k}": v for k, v in self.data.items()})
        np.savez_compressed(npz, **arrays)
        meta = dict(self.provenance)
        meta["name"] = self.name
        meta["axes"] = {k: v.tolist() for k, v in self.axes.items()}
        meta["quantities"] = list(self.data)
        meta["arrays_hash"] = content_hash({k: np.asarray(v) for k, v in arrays.items()})
        js.write_text(json.dumps(meta, indent=1, sort_keys=False) + "\n")
        return npz, js


def _interp_nd(values, grids, xs, method):
    """Tensor-product interpolation of ``values`` on ``grids`` at ``xs`` (broadcast together): one
    gather of the stencil block per point, then one contraction per axis."""
    import jax.numpy as jnp

    xs = jnp.broadcast_arrays(*xs)
    shape = xs[0].shape if xs else ()
    ndim = len(grids)
    stencils = [_linear_stencil(jnp.asarray(g), x) if method == "linear" else _lagrange_stencil(jnp.asarray(g), x, 4)
                for g, x in zip(grids, xs)]
    index = []
    for d, (idx, _) in enumerate(stencils):
        i = jnp.moveaxis(idx, 0, -1)
        index.append(i.reshape(shape + (1,) * d + (i.shape[-1],) + (1,) * (ndim - d - 1)))
    values = jnp.asarray(values)
    extra = values.ndim - ndim  # 1 for a stack of quantities on the last axis (interp_many)
    block = values[tuple(index)]
    for d in reversed(range(ndim)):
        w = jnp.moveaxis(stencils[d][1], 0, -1)
        block = jnp.sum(block * w.reshape(shape + (1,) * d + (w.shape[-1],) + (1,) * extra), axis=-1 - extra)
    return block


_KERNEL = None


def _interp_kernel(values, grids, xs, method):
    """:func:`_interp_nd` compiled once per (shapes, method): one dispatch per eager call instead of
    hundreds of small jax operations; inside an outer ``jit`` it is simply inlined."""
    global _KERNEL
    if _KERNEL is None:
        import jax

        _KERNEL = jax.jit(_interp_nd, static_argnums=(3,))
    return _KERNEL(values, grids, xs, method)


def _ensure_x64() -> None:
    """Tables are float64 (a 6 mm ring's phase is ~4e4 rad): turn jax x64 on, as sax/klujax do on import."""
    import jax

    if not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)


def _is_concrete(v: Any) -> bool:
    try:
        np.asarray(v)
        return True
    except Exception:
        return False


def _cell_index(grid, xc):
    """Index i of the grid interval [g_i, g_i+1] holding ``xc``: the number of nodes g_1.. at or below
    ``xc``. A comparison count on the short axes of mode tables (cheaper to trace and compile); a binary
    search on long axes (the 201-point MMI table: 8 steps instead of 200 comparisons per point)."""
    import jax.numpy as jnp

    n = grid.shape[0]
    if n > _SHORT_AXIS:
        return jnp.clip(jnp.searchsorted(grid[1:], xc, side="right"), 0, n - 2)
    return jnp.clip(jnp.sum(xc[..., None] >= grid[1:], axis=-1), 0, n - 2)


#: Longest axis located by a comparison count (:func:`_cell_index`); longer axes use a binary search.
_SHORT_AXIS = 32


def _linear_stencil(grid, x):
    import jax.numpy as jnp

    n = grid.shape[0]
    if n == 1:
        return jnp.zeros((1,) + x.shape, dtype=int), jnp.ones((1,) + x.shape)
    xc = jnp.clip(x, grid[0], grid[-1])
    i = _cell_index(grid, xc)
    t = (xc - grid[i]) / (grid[i + 1] - grid[i])
    return jnp.stack([i, i + 1]), jnp.stack([1.0 - t, t])


def _lagrange_stencil(grid, x, npts: int):
    import jax.numpy as jnp

    n = grid.shape[0]
    m = min(npts, n)
    if m == 1:
        return jnp.zeros((1,) + x.shape, dtype=int), jnp.ones((1,) + x.shape)
    xc = jnp.clip(x, grid[0], grid[-1])
    i = _cell_index(grid, xc)
    start = jnp.clip(i - (m // 2 - 1), 0, n - m)
    idx = jnp.stack([start + k for k in range(m)])
    nodes = grid[idx]
    ws = []
    for k in range(m):
        w = jnp.ones_like(xc)
        for j in range(m):
            if j != k:
                w = w * (xc - nodes[j]) / (nodes[k] - nodes[j])
        ws.append(w)
    return idx, jnp.stack(ws)


def load_table(
    name: str,
    tables_dir: str | Path = TABLES_DIR,
    *,
    inputs_hash: str | None = None,
    platform: str | None = None,
) -> ModeTable:
    """Load ``<tables_dir>/<name>.npz|json``; verify ``inputs_hash`` against the stored one.

    Raises :class:`StaleTableError` (with the rebuild command) if the files are missing or the
    stored hash differs from ``inputs_hash`` (``None`` skips the check).
    """
    d = Path(tables_dir)
    npz, js = d / f"{name}.npz", d / f"{name}.json"
    cmd = f"qchipnet modes build --platform {platform}" if platform else "qchipnet modes build --platform <platform>"
    if not npz.exists() or not js.exists():
        raise StaleTableError(f"mode table {name!r} not found in {d}; run `{cmd}` to compute it")
    meta = json.loads(js.read_text())
    stored = meta.get("inputs_hash")
    if inputs_hash is not None and stored != inputs_hash:
        raise StaleTableError(
            f"mode table {name!r} is stale: it was computed from inputs with hash {stored}, the current "
            f"PDK (cross-section, materials, grid, mesh) hashes to {inputs_hash}; run `{cmd}` to rebuild it"
        )
    with np.load(npz) as z:
        axes = {k: np.asarray(z[f"axis__{k}"]) for k in meta["axes"]}
        data = {q: np.asarray(z[f"data__{q}"]) for q in meta["quantities"]}
    prov = {k: v for k, v in meta.items() if k not in ("name", "axes", "quantities")}
    return ModeTable(name=name, axes=axes, data=data, provenance=prov)
