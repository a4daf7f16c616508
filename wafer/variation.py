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

__all__ = ["wafer_rng", "correlation_factor", "sample_wafer", "sample_defects", "INSTANCES", "DEVICES_PER_DIE"]

#: Number of independent instances per die of each parameter that has die-local mismatch
#: (parameters not listed have one instance per die). Names follow pdk/<platform>/process.py.
INSTANCES: dict[str, dict[str, int]] = {
    "inp": {"mmi_width_bias_um": 6, "arm_loss_imbalance_dB": 3, "eo_coefficient_ln": 6},
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
    """Number of failed devices per die for every defect model (binomial per die)."""
    per = devices_per_die or DEVICES_PER_DIE.get(process.platform, {})
    return {name: rng.binomial(per.get(name, 1), d.p_fail, size=n_dies) for name, d in sorted(process.defects.items())}


#: Devices per die that each defect model applies to: the transmitter cell has 7 EO phase sections
#: (3 IMs x 2 arms + the PM; ``n_eo_phase_sections`` in its info). The article counts 6 per chip
#: (120 on 20 chips); the per-section failure probability 3/120 is what carries over.
DEVICES_PER_DIE: dict[str, dict[str, int]] = {"inp": {"pm_failure": 7}, "sin": {"ring_defect": 1}}
