"""Polygon helpers for long, smooth Si3N4 curves (arcs of mm radius drawn with sub-nm sagitta)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["SAGITTA_UM", "arc_points", "ribbon", "arc_npoints"]

#: Maximum chord-to-arc deviation of drawn curves (0.5 nm, half the 1 nm mask grid).
SAGITTA_UM = 5e-4


def arc_npoints(radius: float, angle_rad: float, sagitta: float = SAGITTA_UM) -> int:
    """Number of points so that the chord sagitta stays below ``sagitta`` (um)."""
    dtheta = 2.0 * math.sqrt(2.0 * sagitta / max(radius, 1e-9))
    return max(2, int(math.ceil(abs(angle_rad) / dtheta)) + 1)


def arc_points(cx: float, cy: float, radius: float, a0_deg: float, a1_deg: float,
               width: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Centre-line points and outward normals of a circular arc from ``a0_deg`` to ``a1_deg``."""
    a0, a1 = math.radians(a0_deg), math.radians(a1_deg)
    n = arc_npoints(radius + width / 2, a1 - a0)
    th = np.linspace(a0, a1, n)
    nrm = np.stack([np.cos(th), np.sin(th)], axis=1)
    return np.array([cx, cy]) + radius * nrm, nrm


def ribbon(points: np.ndarray, normals: np.ndarray, width: float) -> np.ndarray:
    """Closed polygon of a guide of ``width`` around a centre line with unit ``normals``."""
    left = points + 0.5 * width * normals
    right = points - 0.5 * width * normals
    return np.concatenate([left, right[::-1]], axis=0)
