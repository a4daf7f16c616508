"""Process data: nominal values and statistical variation of every geometric parameter a model uses.

A :class:`ProcessParameter` carries the nominal value and three variation levels, each a standard
deviation in the parameter's own unit, plus the spatial correlation length of the within-wafer
random field and the source of every number. Monte Carlo (``qchipnet.wafer``) reads these; a study
can override them from a YAML file through :meth:`ProcessData.with_overrides`.

Levels (Bogaerts, Xing & Khan, IEEE JSTQE 25, 6100413 (2019), hierarchical variability model):
- ``sigma_wafer``: wafer-to-wafer (one draw per wafer);
- ``sigma_within_wafer``: smooth + spatially correlated within-wafer field (one draw per die position,
  correlation length ``corr_length_mm``); ``radial_fraction`` of its variance is a radial profile
  (centre-to-edge film-thickness bow), the rest a Gaussian random field;
- ``sigma_local``: die-local mismatch (two instances in one die, e.g. the two arms of an MZI).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..validate import Frozen, InputError

__all__ = ["ProcessParameter", "DefectModel", "ProcessData"]


class ProcessParameter(Frozen):
    """One process parameter with nominal value and hierarchical variation."""

    name: str
    unit: str
    nominal: float
    sigma_wafer: float = Field(0.0, ge=0)
    sigma_within_wafer: float = Field(0.0, ge=0)
    sigma_local: float = Field(0.0, ge=0)
    corr_length_mm: float = Field(10.0, gt=0)
    radial_fraction: float = Field(0.0, ge=0, le=1)
    source: str
    calibrated: bool = False

    @property
    def sigma_total(self) -> float:
        """Quadrature sum of the three levels."""
        return (self.sigma_wafer**2 + self.sigma_within_wafer**2 + self.sigma_local**2) ** 0.5


class DefectModel(Frozen):
    """Catastrophic (non-geometric) failures: a per-device failure probability."""

    name: str
    p_fail: float = Field(ge=0, le=1)
    source: str


class ProcessData(Frozen):
    """All process parameters and defect models of one platform."""

    platform: str
    parameters: dict[str, ProcessParameter]
    defects: dict[str, DefectModel] = Field(default_factory=dict)

    def __getitem__(self, key: str) -> ProcessParameter:
        try:
            return self.parameters[key]
        except KeyError:
            raise InputError(
                f"process parameter {key!r} not in platform {self.platform!r}; known: {sorted(self.parameters)}"
            ) from None

    def with_overrides(self, overrides: dict[str, Any]) -> "ProcessData":
        """Return a copy with fields of parameters/defects replaced, e.g. ``{"width": {"sigma_wafer": 0.02}}``.

        Unknown parameter names or fields raise :class:`InputError` naming the key path.
        """
        params = dict(self.parameters)
        defects = dict(self.defects)
        for key, fields in overrides.items():
            if not isinstance(fields, dict):
                raise InputError(f"process override {key!r} must be a mapping of fields, got {fields!r}")
            if key in params:
                target, store = params[key], params
            elif key in defects:
                target, store = defects[key], defects
            else:
                raise InputError(
                    f"process override {key!r}: unknown parameter; known: {sorted(params) + sorted(defects)}"
                )
            bad = set(fields) - set(type(target).model_fields)
            if bad:
                raise InputError(
                    f"process override {key}.{sorted(bad)[0]}: unknown field; allowed: {sorted(type(target).model_fields)}"
                )
            try:
                store[key] = type(target).model_validate({**target.model_dump(), **fields})
            except Exception as exc:  # pydantic ValidationError -> one line
                raise InputError(f"process override {key}: {exc.errors()[0]['msg']} ({fields})") from None
        return self.model_copy(update={"parameters": params, "defects": defects})
