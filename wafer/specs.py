"""Pass/fail specifications and yield statistics with confidence intervals."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import yaml
from pydantic import Field, model_validator

from ..validate import Frozen, InputError, check_range

__all__ = ["Limit", "Spec", "load_spec", "default_spec_path", "wilson_interval", "clopper_pearson_interval"]


class Limit(Frozen):
    """One named limit on one metric."""

    name: str = Field(min_length=1)
    metric: str = Field(min_length=1)
    min: float | None = None
    max: float | None = None
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
    limits: tuple[Limit, ...]

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


def load_spec(platform: str, path: str | Path | None = None) -> Spec:
    """Spec of ``platform`` from a YAML file (default: the shipped ``specs_default.yaml``)."""
    p = Path(path) if path else default_spec_path()
    if not p.exists():
        raise InputError(f"spec file {str(p)!r} does not exist")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise InputError(f"spec file {str(p)!r} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or platform not in data:
        raise InputError(f"spec file {str(p)!r} has no section {platform!r}")
    try:
        return Spec(platform=platform, limits=tuple(Limit(**d) for d in data[platform]))
    except Exception as exc:
        msg = exc.errors()[0]["msg"] if hasattr(exc, "errors") else str(exc)
        raise InputError(f"spec file {str(p)!r}, section {platform!r}: {msg}") from None


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
