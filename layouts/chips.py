"""Die cells and test structures of the masks, built from the cells of :mod:`qchipnet.components`.

Design parameters carry units in their names (``gap_um``); the cells take gdsfactory-style names in
um (``gap``). :func:`call_cell` maps one to the other through the cell's own signature, so a
parameter the cell does not accept is an error naming the cell and its accepted parameters, never
silently dropped. Each builder activates its platform's PDK while building.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any, Callable

from ..pdk import activated
from ..validate import InputError
from .wafer import TestStructure

__all__ = ["call_cell", "find_cell", "server_chip", "transmitter_chip", "inp_test_structures", "sin_test_structures"]

#: design name -> candidate cell parameter names (first accepted one wins)
ALIASES: dict[str, tuple[str, ...]] = {
    "radius_um": ("radius", "radius_um"),
    "width_um": ("ring_width", "width_ring", "width", "width_um"),
    "bus_width_um": ("bus_width", "width_bus", "bus_width_um"),
    "gap_um": ("gap", "gap_um"),
    "thickness_nm": ("thickness_nm", "thickness"),
    "die_width_um": ("chip_width", "die_width", "size_x", "width_chip", "chip_width_um", "die_width_um"),
    "die_height_um": ("chip_height", "die_height", "size_y", "height_chip", "chip_height_um", "die_height_um"),
    "heater": ("heater", "with_heater"),
    "pm_length_um": ("pm_length", "length_pm", "pm_length_um"),
    "length_um": ("length", "length_um"),
}


def call_cell(fn: Callable, params: dict[str, Any], *, required: tuple[str, ...] = ()) -> Any:
    """Call cell ``fn`` with ``params`` renamed to the names its signature accepts.

    Parameters named in ``required`` must be accepted; the others are passed when accepted.
    """
    sig = inspect.signature(fn)
    accepted = set(sig.parameters)
    kwargs = {}
    for key, value in params.items():
        names = ALIASES.get(key, (key,))
        hit = next((n for n in names if n in accepted and n not in kwargs), None)
        if hit is None:
            if key in required:
                raise InputError(f"cell {fn.__name__!r} has no parameter for {key!r} (tried {list(names)}); "
                                 f"it accepts {sorted(accepted)}")
            continue
        kwargs[hit] = value
    return fn(**kwargs)


def find_cell(package: str, names: tuple[str, ...]) -> Callable:
    """The first function called one of ``names`` in the modules of ``qchipnet.components.<package>``."""
    pkg = importlib.import_module(f"...components.{package}", __name__)
    mods = [pkg] + [importlib.import_module(f"{pkg.__name__}.{m.name}") for m in pkgutil.iter_modules(pkg.__path__)]
    for name in names:
        for mod in mods:
            fn = getattr(mod, name, None)
            if callable(fn):
                return fn
    raise InputError(f"no cell named any of {list(names)} in qchipnet.components.{package}")


def server_chip(**params) -> Any:
    """The server (microcomb) die from :mod:`qchipnet.components.chips.server`."""
    fn = getattr(importlib.import_module("qchipnet.components.chips.server"), "server_chip")
    with activated("sin"):
        return call_cell(fn, params, required=("radius_um", "gap_um", "width_um"))


def transmitter_chip(**params) -> Any:
    """The transmitter die from :mod:`qchipnet.components.chips.transmitter`."""
    fn = getattr(importlib.import_module("qchipnet.components.chips.transmitter"), "transmitter_chip")
    names = {"die_width_um": "width", "die_height_um": "height", "pm_length_um": "pm_length", "voa_length_um": "voa_length"}
    accepted = set(inspect.signature(fn).parameters)
    kwargs = {}
    for k, v in params.items():
        if k not in names or names[k] not in accepted:
            raise InputError(f"transmitter_chip takes no parameter for {k!r}; design keys it maps: {sorted(names)}")
        kwargs[names[k]] = v
    with activated("inp"):
        return fn(**kwargs)


def inp_test_structures(*, pm_lengths_um=(500.0, 1000.0, 2000.0), mzi_lengths_um=(500.0, 1000.0, 2000.0),
                        cutback_lengths_um=(1000.0, 2000.0, 4000.0), ridge_width_um: float = 1.5) -> list[TestStructure]:
    """Stand-alone PMs and MZIs of several lengths, 1x2/2x2 MMIs, a DBR laser, cut-back straights."""
    out: list[TestStructure] = []
    with activated("inp"):
        pm = find_cell("inp", ("phase_modulator", "pm", "eo_phase_modulator"))
        mzi = find_cell("inp", ("mzm", "mzi_modulator", "intensity_modulator", "mach_zehnder_modulator", "mzi"))
        mmi1 = find_cell("inp", ("mmi1x2",))
        mmi2 = find_cell("inp", ("mmi2x2",))
        dbr = find_cell("inp", ("dbr_laser", "dbr"))
        straight = find_cell("inp", ("straight_deep",))
        for L in pm_lengths_um:
            out.append(TestStructure(f"pm_L{L:g}", call_cell(pm, {"length_um": L}, required=("length_um",)),
                                     {"kind": "phase_modulator", "length_um": L}))
        for L in mzi_lengths_um:
            out.append(TestStructure(f"mzi_L{L:g}", call_cell(mzi, {"pm_length_um": L}, required=("pm_length_um",)),
                                     {"kind": "mzi", "arm_length_um": L}))
        out.append(TestStructure("mmi1x2", mmi1(), {"kind": "mmi1x2"}))
        out.append(TestStructure("mmi2x2", mmi2(), {"kind": "mmi2x2"}))
        out.append(TestStructure("dbr_laser", dbr(), {"kind": "dbr_laser"}))
        for L in cutback_lengths_um:
            out.append(TestStructure(f"cutback_L{L:g}", straight(length=L, width=ridge_width_um),
                                     {"kind": "cutback", "length_um": L, "width_um": ridge_width_um}))
    return out


def sin_test_structures(*, loss_ring_radii_um=(600.0, 1000.0), gap_um: float = 3.0, width_um: float = 2.8) -> list[TestStructure]:
    """Under-coupled loss test rings (large gap, so the loaded Q approaches the intrinsic Q)."""
    out: list[TestStructure] = []
    with activated("sin"):
        ring = find_cell("sin", ("ring_single", "ring_all_pass", "ring_allpass", "ring"))
        for R in loss_ring_radii_um:
            c = call_cell(ring, {"radius_um": R, "gap_um": gap_um, "width_um": width_um}, required=("radius_um", "gap_um"))
            out.append(TestStructure(f"loss_ring_R{R:g}", c, {"kind": "loss_ring", "radius_um": R, "gap_um": gap_um,
                                                              "width_um": width_um}))
    return out
