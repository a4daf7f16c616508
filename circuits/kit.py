"""The design kit of each platform: one gdsfactory :class:`~gdsfactory.Pdk` with every qchipnet cell and
a sax model for every cell.

``get_kit("sin")`` (also ``qchipnet.get_pdk("sin")``) is the PDK a designer activates::

    import gdsfactory as gf, sax, qchipnet
    pdk = qchipnet.get_pdk("sin"); pdk.activate()
    ring = gf.get_component("ring_allpass", radius=600.0)       # a qchipnet cell
    s = gf.get_component("straight", length=100)                  # Si3N4 strip on xs_sin
    circuit, _ = sax.circuit(ring.get_netlist(recursive=True), models=pdk.models)

It extends the platform's technology PDK (:func:`qchipnet.pdk.get_pdk`: layers, named layer views,
cross-sections, routing cells, routing defaults, connectivity) with the cells of
``qchipnet.components`` (devices and chips) and the models of :func:`qchipnet.models.routing.platform_models`.
It lives here, not in ``pdk/``, because this is the first layer of the one-way data flow that sees
both cells (``components``) and models (``models``). Building it activates nothing; the two
platforms share no name except the routing-cell names, each bound to its own cross-sections.

Rule that keeps ``sax.circuit(c.get_netlist(recursive=True), models=pdk.models)`` honest: every cell
with a model is a leaf (its layout has no sub-instances), and a composite cell (``ring_allpass``,
``mzm``, chips) has no model, so sax always builds it from its own netlist (gdsfactory numbers
composite variants ``mzm``, ``mzm2`` in recursive netlists, which no model name could match).
"""

from __future__ import annotations

import functools
from typing import Any

from ..pdk import PLATFORMS, get_platform, routing_strategies
from ..pdk import get_pdk as get_tech_pdk
from ..validate import InputError

__all__ = ["KIT_NAME", "get_kit", "kit_cells"]

#: gdsfactory name of a platform's design kit.
KIT_NAME = "qchipnet_{platform}"


def kit_cells(platform: str) -> dict[str, Any]:
    """qchipnet cell name -> factory of ``platform`` (devices and chips; routing cells come from the
    technology PDK)."""
    if platform == "sin":
        from ..components.chips import server_chip
        from ..components.sin import CELLS

        return {**CELLS, "server_chip": server_chip}
    if platform == "inp":
        from ..components.chips import transmitter_chip
        from ..components.inp import CELLS

        return {**CELLS, "transmitter_chip": transmitter_chip}
    raise InputError(f"unknown platform {platform!r}; choose one of {list(PLATFORMS)}")


@functools.cache
def get_kit(platform: str):
    """The design kit (gdsfactory ``Pdk`` named ``qchipnet_<platform>``) of ``platform``; cached, not activated."""
    import gdsfactory as gf

    from ..models.routing import platform_models

    tech = get_tech_pdk(platform)
    mod = get_platform(platform).module
    transitions = dict(tech.layer_transitions)
    if platform == "inp":
        transitions[(mod.LAYER.WG_DEEP, mod.LAYER.WG_SHALLOW)] = "transition_deep_shallow"
    return gf.Pdk(
        name=KIT_NAME.format(platform=platform),
        version=_version(),
        base_pdks=[tech],
        cells=kit_cells(platform),
        models=dict(platform_models(platform)),
        layers=tech.layers,
        layer_stack=tech.layer_stack,
        layer_views=tech.layer_views,
        layer_transitions=transitions,
        routing_strategies=routing_strategies(mod.DEFAULT_XS["optical"], mod.DEFAULT_XS["electrical"]),
        connectivity=tech.connectivity,
    )


def _version() -> str:
    from .. import __version__

    return __version__
