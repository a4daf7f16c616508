"""Parametric cells of the InP transmitter platform (``inp``); ``CELLS`` maps names to factories."""

from .electrodes import bond_pad
from .facet import ssc_facet
from .laser import dbr_laser
from .mmi import mmi1x2, mmi2x2, self_imaging_length
from .modulators import bend_s_deep, mzm, phase_modulator, voa
from .waveguides import bend_deep, bend_shallow, straight_deep, straight_shallow, transition_deep_shallow

__all__ = [
    "straight_deep", "straight_shallow", "bend_deep", "bend_shallow", "bend_s_deep", "transition_deep_shallow",
    "mmi1x2", "mmi2x2", "self_imaging_length", "phase_modulator", "voa", "mzm", "dbr_laser", "ssc_facet",
    "bond_pad", "CELLS",
]

CELLS = {
    "straight_deep": straight_deep,
    "straight_shallow": straight_shallow,
    "bend_deep": bend_deep,
    "bend_shallow": bend_shallow,
    "bend_s_deep": bend_s_deep,
    "transition_deep_shallow": transition_deep_shallow,
    "mmi1x2": mmi1x2,
    "mmi2x2": mmi2x2,
    "phase_modulator": phase_modulator,
    "voa": voa,
    "mzm": mzm,
    "dbr_laser": dbr_laser,
    "ssc_facet": ssc_facet,
    "bond_pad": bond_pad,
}
