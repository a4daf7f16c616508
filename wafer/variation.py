"""Hierarchical process-variation model sampled at the dies of a wafer plan.

For every process parameter p of the PDK (``pdk.<platform>.process``) and every die d of wafer w:

    p[w, d, k] = nominal + W_w + R_w * rho(r_d) + G_w(x_d, y_d) + L_{w, d, k}

- ``W_w ~ N(0, sigma_wafer^2)``: wafer-to-wafer offset, one draw per wafer;
- ``R_w * rho(r)``: smooth radial profile (film-thickness bow), rho(r) = (r/R)^2 - 1/2 has zero
  mean over the wafer disc and R_w ~ N(0, s_r^2) with s_r chosen so that the profile's variance
  over the disc equals ``radial_fraction * sigma_within_wafer^2``;
- ``G_w``: zero-mean Gaussian random field with squared-exponential covariance
  ``(1 - radial_fraction) sigma_within_wafer^2 exp(-|dx|^2 / (2 corr_length_mm^2))`` sampled at
  the die centres (Cholesky factor computed once per plan and reused for every wafer);
- ``L ~ N(0, sigma_local^2)``: die-local mismatch, independent for each of the k instances of the
  parameter in one die (e.g. the two MMIs of an MZI).

Catastrophic defects are Bernoulli draws per device with the PDK's ``p_fail``; they are not
geometric, and are kept apart from the geometry for that reason.

Randomness is per wafer: wafer w draws from ``numpy.random.SeedSequence(seed, spawn_key=(w,))``,
so a study's result does not depend on how wafers are grouped into chunks or workers.
Model after Bogaerts, Xing & Khan, IEEE JSTQE 25, 6100413 (2019) (hierarchical, spatially
correlated variability) and Lu et al., Opt. Express 25, 9712 (2017) (correlation lengths).
"""

from __future__ import annotations

import functools

import numpy as np

from ..pdk.process import ProcessData
from ..validate import check_range

__all__ = ["wafer_rng", "correlation_factor", "sample_wafer", "sample_die_sets", "die_set_draws", "sample_defects", "INSTANCES",
           "DEVICES_PER_DIE"]

#: Number of independent instances per die of each parameter that has die-local mismatch
#: (parameters not listed have one instance per die). Names follow pdk/<platform>/process.py.
INSTANCES: dict[str, dict[str, int]] = {
    "inp": {"mmi_width_bias_um": 6, "arm_loss_imbalance_dB": 3, "eo_coefficient_ln": 7},
    "sin": {},
}


def wafer_rng(seed: int, wafer_index: int) -> np.random.Generator:
    """Independent generator of wafer ``wafer_index`` of a study seeded with ``seed``."""
    check_range("seed", seed, 0, 2**63 - 1)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=(int(wafer_index),))))


@functools.lru_cache(maxsize=32)
def _chol(positions_key: bytes, n: int, corr_length_mm: float) -> np.ndarray:
    pos = np.frombuffer(positions_key, dtype=float).reshape(n, 2)
    d2 = ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1)
    cov = np.exp(-d2 / (2 * corr_length_mm**2))
    cov[np.diag_indices(n)] += 1e-9  # jitter: dies closer than the correlation length are near-singular
    return _cholesky_deterministic(cov)


def _cholesky_deterministic(a: np.ndarray) -> np.ndarray:
    """Cholesky factor with elementwise numpy only (no BLAS/LAPACK).

    LAPACK and BLAS results depend on the number of threads and the CPU kernel, so a study run in
    a Dask worker (one thread) would differ in the last bits from the same study in-process; this
    column-by-column (Cholesky-Crout) form gives the same bits everywhere.
    """
    n = a.shape[0]
    L = np.zeros_like(a)
    for j in range(n):
        s = a[j, j] - (L[j, :j] * L[j, :j]).sum()
        L[j, j] = np.sqrt(s)
        if j + 1 < n:
            L[j + 1:, j] = (a[j + 1:, j] - (L[j + 1:, :j] * L[j, :j]).sum(axis=1)) / L[j, j]
    return L


def _cholesky_batch(a: np.ndarray) -> np.ndarray:
    """:func:`_cholesky_deterministic` of a stack ``(..., m, m)`` (elementwise numpy, same bits everywhere).

    Computed with the stack on the last, contiguous axis (``(m, m, batch)``): every step is a vector
    operation over the batch and the sums over the factor's columns run along a non-contiguous axis, in
    a fixed order."""
    m = a.shape[-1]
    lead = a.shape[:-2]
    t = np.ascontiguousarray(np.moveaxis(a.reshape((-1, m, m)), 0, -1))  # (m, m, batch)
    L = np.zeros_like(t)
    for j in range(m):
        s = t[j, j] - np.einsum("kb,kb->b", L[j, :j], L[j, :j])
        L[j, j] = np.sqrt(s)
        if j + 1 < m:
            L[j + 1:, j] = (t[j + 1:, j] - np.einsum("ikb,kb->ib", L[j + 1:, :j], L[j, :j])) / L[j, j]
    return np.moveaxis(L, -1, 0).reshape(lead + (m, m))


def die_set_draws(process: ProcessData, m: int) -> tuple[int, int]:
    """(standard normals, uniforms) that :func:`sample_die_sets` takes per wafer for a set of ``m`` dies."""
    inst = INSTANCES.get(process.platform, {})
    per = DEVICES_PER_DIE.get(process.platform, {})
    n_z = sum(2 + m + m * inst.get(name, 1) for name in process.parameters)
    return n_z, m * sum(per.get(name, 1) for name in process.defects)


def sample_die_sets(process: ProcessData, positions_mm: np.ndarray, wafer_radius_mm: float,
                    rngs: list | None = None, *, normals: np.ndarray | None = None,
                    uniforms: np.ndarray | None = None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The model of :func:`sample_wafer` at a few dies of many wafers: ``positions_mm`` (n_wafers, m, 2),
    one generator per wafer in ``rngs`` (or the draws themselves, ``normals`` (n_wafers, n_z) standard
    normals and ``uniforms`` (n_wafers, n_u), sizes from :func:`die_set_draws`). The spatial field is
    sampled exactly at the m dies (the marginal of the Gaussian random field there: Cholesky factor of
    their m x m covariance), so a wafer costs O(m^3) instead of a full wafer plan. Returns
    ``params[name]`` of shape (n_wafers * m, k) and ``defects`` (counts (n_wafers * m,), device matrices
    (n_wafers * m, k)), wafer-major."""
    pos = np.asarray(positions_mm, dtype=float)
    nw, m = pos.shape[:2]
    n_z, n_u = die_set_draws(process, m)
    if rngs is not None:
        if len(rngs) != nw:
            raise ValueError("sample_die_sets: one generator per wafer")
        # one block of standard normals per wafer (wafer term, radial amplitude, field at the m dies, local
        # instances, for every parameter in name order) and one block of uniforms for the defects
        normals = np.stack([g.standard_normal(n_z) for g in rngs])
        uniforms = np.stack([g.random(n_u) for g in rngs])
    if normals is None or uniforms is None or normals.shape != (nw, n_z) or uniforms.shape != (nw, n_u):
        raise ValueError(f"sample_die_sets: give rngs, or normals ({nw}, {n_z}) and uniforms ({nw}, {n_u})")
    z, u = normals, uniforms
    rho = (pos**2).sum(-1) / wafer_radius_mm**2 - 0.5
    dx, dy = (pos[:, :, None, c] - pos[:, None, :, c] for c in (0, 1))
    d2 = dx * dx + dy * dy
    inst = INSTANCES.get(process.platform, {})
    names = sorted(process.parameters)
    ks = [inst.get(name, 1) for name in names]
    sizes = [2 + m + m * k for k in ks]
    per = DEVICES_PER_DIE.get(process.platform, {})
    defect_items = sorted(process.defects.items())
    out: dict[str, np.ndarray] = {}
    chol: dict[float, np.ndarray] = {}
    o = 0
    for name, k, size in zip(names, ks, sizes):
        p = process.parameters[name]
        blk = z[:, o:o + size]
        o += size
        s_ww = p.sigma_within_wafer
        val = p.nominal + p.sigma_wafer * blk[:, :1]
        if s_ww and p.radial_fraction:
            val = val + blk[:, 1:2] * s_ww * np.sqrt(p.radial_fraction * 12.0) * rho
        s_field = s_ww * np.sqrt(1.0 - p.radial_fraction)
        if s_field:
            if p.corr_length_mm not in chol:
                cov = np.exp(-d2 / (2 * p.corr_length_mm**2))
                cov[:, np.arange(m), np.arange(m)] += 1e-9
                chol[p.corr_length_mm] = _cholesky_batch(cov)
            val = val + np.einsum("wij,wj->wi", chol[p.corr_length_mm], blk[:, 2:2 + m]) * s_field
        local = p.sigma_local * blk[:, 2 + m:].reshape(nw, m, k)
        out[name] = (val[..., None] + local).reshape(nw * m, k)
    dft, o = {}, 0
    for name, d in defect_items:
        k = per.get(name, 1)
        dft[name] = u[:, o:o + m * k].reshape(nw, m, k) < d.p_fail
        o += m * k
    defects: dict[str, np.ndarray] = {}
    for name, f in dft.items():
        f = f.reshape(nw * m, -1)
        defects[name] = f.sum(axis=1)
        if f.shape[1] > 1:
            defects[f"{name}_devices"] = f
    return out, defects


def _matvec(L: np.ndarray, z: np.ndarray) -> np.ndarray:
    """L @ z without BLAS (bit-identical across thread counts)."""
    return (L * z[None, :]).sum(axis=1)


def correlation_factor(positions_mm: np.ndarray, corr_length_mm: float) -> np.ndarray:
    """Cholesky factor of the unit-variance squared-exponential covariance at the die positions."""
    pos = np.ascontiguousarray(positions_mm, dtype=float)
    return _chol(pos.tobytes(), pos.shape[0], float(corr_length_mm))


def sample_wafer(process: ProcessData, positions_mm: np.ndarray, wafer_radius_mm: float, seed: int,
                 wafer_index: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Sample every process parameter at the dies of one wafer.

    Returns ``(params, defects)``: ``params[name]`` has shape ``(n_dies, k)`` with k the number of
    instances of that parameter per die (:data:`INSTANCES`, default 1); ``defects[name]`` is the
    ``(n_dies,)`` integer array of failed devices per die (see :func:`sample_defects`).
    """
    rng = wafer_rng(seed, wafer_index)
    pos = np.asarray(positions_mm, dtype=float)
    n = pos.shape[0]
    r_rel2 = (pos**2).sum(1) / wafer_radius_mm**2
    rho = r_rel2 - 0.5  # zero mean over the disc; variance over the disc = 1/12
    inst = INSTANCES.get(process.platform, {})
    out: dict[str, np.ndarray] = {}
    for name in sorted(process.parameters):
        p = process.parameters[name]
        k = inst.get(name, 1)
        w = rng.normal(0.0, p.sigma_wafer) if p.sigma_wafer else 0.0
        s_ww = p.sigma_within_wafer
        radial = rng.normal(0.0, s_ww * np.sqrt(p.radial_fraction * 12.0)) * rho if s_ww and p.radial_fraction else 0.0
        s_field = s_ww * np.sqrt(1.0 - p.radial_fraction)
        field = _matvec(correlation_factor(pos, p.corr_length_mm), rng.standard_normal(n)) * s_field if s_field else 0.0
        local = rng.normal(0.0, p.sigma_local, size=(n, k)) if p.sigma_local else np.zeros((n, k))
        out[name] = (p.nominal + w + np.asarray(radial + field).reshape(-1, 1) * np.ones((1, k))) + local
    return out, sample_defects(process, n, rng)


def sample_defects(process: ProcessData, n_dies: int, rng: np.random.Generator,
                   devices_per_die: dict[str, int] | None = None) -> dict[str, np.ndarray]:
    """Failed devices of every defect model: ``defects[name]`` the ``(n_dies,)`` count per die and,
    for models with several devices per die, ``defects[name + "_devices"]`` the ``(n_dies, k)`` boolean
    matrix saying which device failed (independent Bernoulli per device)."""
    per = devices_per_die or DEVICES_PER_DIE.get(process.platform, {})
    out: dict[str, np.ndarray] = {}
    for name, d in sorted(process.defects.items()):
        k = per.get(name, 1)
        failed = rng.random((n_dies, k)) < d.p_fail
        out[name] = failed.sum(axis=1)
        if k > 1:
            out[f"{name}_devices"] = failed
    return out


#: Devices per die that each defect model applies to: the transmitter cell has 7 EO phase sections
#: (3 IMs x 2 arms + the PM, in ``system.chain.SECTIONS`` order; ``n_eo_phase_sections`` in its info). The article counts 6 per chip
#: (120 on 20 chips); the per-section failure probability 3/120 is what carries over.
DEVICES_PER_DIE: dict[str, dict[str, int]] = {"inp": {"pm_failure": 7}, "sin": {"ring_defect": 1}}
