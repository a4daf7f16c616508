"""Process design kits of the two platforms: ``sin`` (Si3N4 in SiO2) and ``inp`` (generic InP).

``get_pdk(name)`` builds the platform's cached *technology* PDK, a gdsfactory :class:`~gdsfactory.Pdk`
named ``qchipnet_<name>_tech``: layers, layer stack, named layer views, the platform's own
cross-sections (and no other: no gdsfactory generic names, nothing of the other platform), the
routing cells on them (``straight``, ``bend_euler``, ``taper``, wires...), routing defaults,
layer transitions and connectivity. The full design kit, which adds every qchipnet cell and a sax
model for every cell, is ``qchipnet.get_pdk(name)`` (built in :mod:`qchipnet.circuits.kit`, the
first layer that sees both cells and models) and uses this PDK as its base.

Nothing is activated on import: call ``get_pdk("sin").activate()``, or use the :func:`activated`
context manager which restores the previously active PDK.
``get_platform(name)`` gives the plain-data side (rules, process data, materials, wafer size).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

from ..validate import InputError

__all__ = ["PLATFORMS", "Platform", "activated", "get_pdk", "get_platform", "lyp_path", "routing_strategies"]

PLATFORMS: tuple[str, ...] = ("sin", "inp")


def _check(name: str) -> str:
    if name not in PLATFORMS:
        raise InputError(f"unknown platform {name!r}; choose one of {list(PLATFORMS)}")
    return name


@dataclass(frozen=True)
class Platform:
    """Plain-data view of a platform (no gdsfactory state)."""

    name: str
    module: ModuleType

    @property
    def layers(self) -> dict[str, tuple[int, int]]:
        """Layer name -> (layer, datatype)."""
        L = self.module.LAYER
        return {m.name: (int(m.layer), int(m.datatype)) for m in L}

    @property
    def rules(self):
        return self.module.RULES

    @property
    def process(self):
        return self.module.get_process()

    @property
    def wafer_diameter_mm(self) -> float:
        return importlib.import_module(f"{self.module.__name__}.geometry").WAFER_DIAMETER_MM

    @property
    def edge_exclusion_mm(self) -> float:
        return importlib.import_module(f"{self.module.__name__}.geometry").EDGE_EXCLUSION_MM


@functools.cache
def get_platform(name: str) -> Platform:
    """Plain-data description of platform ``name`` (``sin`` or ``inp``)."""
    return Platform(name=name, module=importlib.import_module(f"{__name__}.{_check(name)}"))


@functools.cache
def get_pdk(name: str):
    """The technology PDK of platform ``name`` (``qchipnet_<name>_tech``); cached, not activated.

    It has no base PDK: every name it resolves (cross-sections, routing cells) is the platform's
    own, so ``straight`` on ``sin`` is a Si3N4 strip and a misspelt name fails instead of falling
    back to gdsfactory's generic silicon PDK. ``gf.routing.route_bundle`` through
    ``pdk.routing_strategies`` and :data:`DEFAULT_XS` give the default route cross-sections.
    """
    import gdsfactory as gf

    mod = get_platform(name).module
    cells = importlib.import_module(f"{mod.__name__}.cells").cells
    xs = mod.DEFAULT_XS
    layer0 = getattr(mod.LAYER, "WG", None) or mod.LAYER.WG_DEEP
    return gf.Pdk(
        name=f"qchipnet_{name}_tech",
        layers=mod.LAYER,
        layer_stack=mod.get_layer_stack(),
        layer_views=mod.get_layer_views(),
        cross_sections=dict(mod.cross_sections),
        cells=dict(cells),
        layer_transitions={layer0: "taper"},
        routing_strategies=routing_strategies(xs["optical"], xs["electrical"]),
        connectivity=list(mod.CONNECTIVITY),
    )


def routing_strategies(optical_xs: str, electrical_xs: str) -> dict:
    """gdsfactory routing strategies bound to a platform's default cross-sections."""
    from functools import partial

    import gdsfactory as gf

    return {
        "route_bundle": partial(gf.routing.route_bundle, cross_section=optical_xs),
        "route_single": partial(gf.routing.route_single, cross_section=optical_xs),
        "route_bundle_electrical": partial(gf.routing.route_bundle_electrical, cross_section=electrical_xs),
    }


@contextlib.contextmanager
def activated(name: str) -> Iterator[object]:
    """Activate platform ``name`` for the ``with`` block, then restore the previously active PDK."""
    import gdsfactory.pdk as gpdk

    previous = gpdk._ACTIVE_PDK
    pdk = get_pdk(name)
    pdk.activate()
    try:
        yield pdk
    finally:
        if previous is not None:
            previous.activate()
        else:
            gpdk._ACTIVE_PDK = None


def lyp_path(name: str):
    """Path of the committed KLayout layer-properties file of platform ``name``."""
    from pathlib import Path

    return Path(__file__).parent / _check(name) / "layers.lyp"
