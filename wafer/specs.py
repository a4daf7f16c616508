"""Pass/fail specifications and yield statistics with confidence intervals."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from pydantic import Field, model_validator

from ..validate import Frozen, InputError, check_range

__all__ = ["Limit", "Spec", "load_spec", "default_spec_path", "wilson_interval", "clopper_pearson_interval"]


class Limit(Frozen):
    """One named limit on one metric."""

    name: str = Field(min_length=1, max_length=200)
    metric: str = Field(min_length=1, max_length=200)
    min: float | None = Field(None, allow_inf_nan=False)
    max: float | None = Field(None, allow_inf_nan=False)
    why: str = ""

    @model_validator(mode="after")
    def _bounds(self) -> "Limit":
        if self.min is None and self.max is None:
            raise ValueError(f"limit {self.name!r} needs min or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"limit {self.name!r}: min {self.min} > max {self.max}")
        return self

    def passes(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        ok = np.isfinite(v)
        if self.min is not None:
            ok &= v >= self.min
        if self.max is not None:
            ok &= v <= self.max
        return ok


class Spec(Frozen):
    """The limits of one platform."""

    platform: str
    limits: tuple[Limit, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> "Spec":
        seen = set()
        for lim in self.limits:
            if lim.name in seen:
                raise ValueError(f"limit name {lim.name[:80]!r} appears twice; every limit needs its own name")
            seen.add(lim.name)
        return self

    @property
    def metrics(self) -> list[str]:
        return sorted({lim.metric for lim in self.limits})

    def evaluate(self, metrics: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Boolean pass array per limit name (missing metrics are an error naming them)."""
        missing = [lim.metric for lim in self.limits if lim.metric not in metrics]
        if missing:
            raise InputError(f"spec for {self.platform!r} uses metrics {missing} that the evaluator does not produce; "
                             f"available: {sorted(metrics)}")
        return {lim.name: lim.passes(metrics[lim.metric]) for lim in self.limits}


def default_spec_path() -> Path:
    return Path(__file__).parent / "specs_default.yaml"


def _is_number(text: str) -> bool:
    """YAML 1.1 reads ``1.0e7`` as a string; accept any text that is a number (finiteness is checked after)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_spec(platform: str, path: str | Path | None = None) -> Spec:
    """Spec of ``platform`` from a YAML file (default: the shipped ``specs_default.yaml``).

    Checked up front, one line naming the file, the section and the limit: the section must be a
    non-empty list of limits; limit names unique; ``min``/``max`` finite numbers with min <= max;
    no unknown keys; duplicate YAML keys and unbounded aliases refused."""
    from pydantic import ValidationError

    from ..pdk.process import read_yaml_file

    p = Path(path) if path else default_spec_path()
    data = read_yaml_file(p, what="spec file", max_bytes=1_000_000)
    where = f"spec file {str(p)!r}"
    if not isinstance(data, dict) or platform not in data:
        raise InputError(f"{where} has no section {platform!r}")
    section = data[platform]
    if not isinstance(section, list) or not section:
        raise InputError(f"{where}, section {platform!r}: expected a non-empty list of limits "
                         "({name, metric, min and/or max, why}), got "
                         + ("an empty list" if isinstance(section, list) else type(section).__name__))
    limits = []
    for i, d in enumerate(section):
        if not isinstance(d, dict):
            raise InputError(f"{where}, section {platform!r}, limit {i}: expected a mapping, got {type(d).__name__}")
        for key in ("min", "max"):
            v = d.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, str)) or
                                  (isinstance(v, str) and not _is_number(v))):
                raise InputError(f"{where}, section {platform!r}, limit {i}: {key} = {str(v)[:40]!r} is not a number")
        try:
            limits.append(Limit(**{str(k): v for k, v in d.items()}))
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(map(str, err.get("loc", ()))) or "limit"
            val = str(err.get("input"))[:40] if err.get("loc") else ""
            name = str(d.get("name", i))[:40]
            raise InputError(f"{where}, section {platform!r}, limit {name!r}: {loc}"
                             + (f" = {val}" if val else "") + f": {err['msg'].removeprefix('Value error, ')}") from None
    try:
        return Spec(platform=platform, limits=tuple(limits))
    except ValidationError as exc:
        raise InputError(f"{where}, section {platform!r}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") \
            from None


def wilson_interval(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k/n (Wilson 1927), 95 % by default."""
    check_range("n", n, 1, math.inf)
    check_range("k", k, 0, n)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def clopper_pearson_interval(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson 1934) binomial interval."""
    from scipy.stats import beta

    check_range("n", n, 1, math.inf)
    check_range("k", k, 0, n)
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def cluster_bootstrap_interval(passes, clusters, *, n_boot: int = 2000, seed: int = 0,
                               alpha: float = 0.05) -> tuple[float, float]:
    """Percentile cluster-bootstrap interval of a yield whose units are grouped in ``clusters`` (wafers).

    Dies of one wafer share its wafer-level process offset, so they are not independent; resampling
    whole wafers with replacement (Davison & Hinkley, *Bootstrap Methods and their Application* (1997),
    section 3.8; Field & Welsh, JRSS B 69, 369 (2007)) keeps that correlation in the interval. With one
    cluster there is nothing to resample: the Wilson interval of the dies is returned (it then
    understates the uncertainty; the study summary says how many wafers it had). Deterministic for a
    given ``seed``.
    """
    p = np.asarray(passes, dtype=float).reshape(-1)
    c = np.asarray(clusters).reshape(-1)
    if p.size == 0:
        raise InputError("cluster_bootstrap_interval: no units")
    keys, inv = np.unique(c, return_inverse=True)
    if keys.size < 2:
        return wilson_interval(int(p.sum()), int(p.size))
    k = np.bincount(inv, weights=p)
    n = np.bincount(inv).astype(float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, keys.size, size=(n_boot, keys.size))
    y = k[draws].sum(1) / n[draws].sum(1)
    lo, hi = np.quantile(y, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def per_cluster_yield(passes, clusters) -> list[dict]:
    """``[{"wafer", "dies", "yield"}]`` per cluster (wafer), in cluster order."""
    p = np.asarray(passes, dtype=float).reshape(-1)
    c = np.asarray(clusters).reshape(-1)
    keys, inv = np.unique(c, return_inverse=True)
    k = np.bincount(inv, weights=p)
    n = np.bincount(inv)
    return [{"wafer": int(w), "dies": int(m), "yield": float(kk / m)} for w, m, kk in zip(keys, n, k)]


__all__ += ["cluster_bootstrap_interval", "per_cluster_yield"]
