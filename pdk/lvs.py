"""LVS-style connectivity check: the nets extracted from the GDS by KLayout against the intended netlist.

A chip cell declares its intended netlist once (which pad feeds which electrode, :class:`Net`) and
writes it into its layout as **pin labels**, the way LVS decks take net names from the layout: a
text ``PAD:<net>:<pad>`` on the pad metal at the pad and a text ``PIN:<net>:<electrode>`` on the
electrode metal on the electrode itself (the METAL1 strip over the ridge, the metal contact over a
heater end). Labels are GDS text objects: they are not polygons, so DRC and the mask geometry do not
see them.

The check (:func:`check_lvs_layout`) extracts the connectivity of the conductor layers of the
platform (:data:`CONNECTIVITY`; InP: p-contact - METAL1 - VIA - METAL2, Si3N4: METAL; a heater trace is
the resistor between two nets, not a conductor) with ``klayout.db.LayoutToNetlist`` (flat
extraction of each labelled cell, so every net of every die is its own object), finds the extracted
net under every label (``probe_net``) and reports

- an **open** when the labels of one intended net lie on more than one extracted net, or a label
  lies on no metal at all (the electrode is not reached from its pad);
- a **short** when one extracted net carries the labels of two or more intended nets.

A wafer is checked die cell by die cell: every cell that holds pin labels in its own shapes is checked
once (with its sub-cells), however many times it is placed. Connections made between a die and
its surroundings on the wafer are therefore not seen (dies are separate after dicing).

Source: KLayout netlist extraction, ``klayout.db.LayoutToNetlist`` (KLayout 0.30 API reference,
"LayoutToNetlist"; the same engine as the ``connect``/``extract_netlist`` LVS deck functions).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from . import get_platform

__all__ = [
    "CONNECTIVITY",
    "PAD_TAG",
    "PIN_TAG",
    "LvsResult",
    "Net",
    "add_net_labels",
    "check_lvs_component",
    "check_lvs_gds",
    "check_lvs_layout",
    "gf_connectivity",
    "labelled_cells",
    "labelled_cells_under",
]

PAD_TAG = "PAD"
PIN_TAG = "PIN"

#: Conductor layers of each platform and the pairs that touch electrically where they overlap
#: (a via layer connects the metals above and below it). Platform layer names.
CONNECTIVITY: dict[str, dict[str, tuple]] = {
    "inp": {"conductors": ("PCONTACT", "METAL1", "VIA", "METAL2"),
            "contacts": (("PCONTACT", "METAL1"), ("METAL1", "VIA"), ("VIA", "METAL2"))},
    "sin": {"conductors": ("METAL",), "contacts": ()},
}


def gf_connectivity(platform: str) -> list[tuple[str, ...]]:
    """The same connectivity in gdsfactory's ``Pdk(connectivity=...)`` form: (lower, via, upper) or
    (lower, upper) layer-name tuples."""
    conn = CONNECTIVITY[get_platform(platform).name]
    out: list[tuple[str, ...]] = []
    contacts = list(conn["contacts"])
    while contacts:
        a, b = contacts.pop(0)
        nxt = next((c for c in contacts if c[0] == b), None)
        if nxt is not None and b == "VIA":
            contacts.remove(nxt)
            out.append((a, b, nxt[1]))
        else:
            out.append((a, b))
    return out


@dataclass(frozen=True)
class Net:
    """One intended net: the pad at ``pad_xy`` (on ``pad_layer``) drives the electrode whose metal
    lies at ``electrode_xy`` (on ``electrode_layer``); positions in um in the chip cell's frame."""

    name: str
    pad: str
    pad_xy: tuple[float, float]
    pad_layer: str
    electrode: str
    electrode_xy: tuple[float, float]
    electrode_layer: str

    def __post_init__(self) -> None:
        for v in (self.name, self.pad, self.electrode):
            if not v or ":" in v or " " in v:
                raise ValueError(f"net/pad/electrode name {v!r} must be non-empty without ':' or spaces")


def add_net_labels(component, nets: list[Net], layers) -> None:
    """Write the pin labels of ``nets`` into ``component`` (``layers``: the platform's LAYER map) and
    record the intended netlist in ``component.info["nets"]`` (``{net: [pad, electrode]}``)."""
    names = [n.name for n in nets]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate net names in {names}")
    for n in nets:
        component.add_label(f"{PAD_TAG}:{n.name}:{n.pad}", position=n.pad_xy, layer=getattr(layers, n.pad_layer))
        component.add_label(f"{PIN_TAG}:{n.name}:{n.electrode}", position=n.electrode_xy,
                            layer=getattr(layers, n.electrode_layer))
    component.info["nets"] = {n.name: [n.pad, n.electrode] for n in nets}


@dataclass
class LvsResult:
    """Outcome of an LVS check of one or more die cells: ``nets`` intended nets (pin-label net names,
    summed over the cells), ``extracted_nets`` nets KLayout extracted from the conductor layers
    (summed), ``opens`` and ``shorts`` (one dict each, naming the cell, net(s), pad(s) and electrode)."""

    platform: str
    cells: list[str]
    nets: int
    extracted_nets: int
    opens: list[dict] = field(default_factory=list)
    shorts: list[dict] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def status(self) -> str:
        """``clean``, ``fail`` (opens or shorts) or ``no_nets`` (no pin labels: nothing was compared)."""
        if self.opens or self.shorts:
            return "fail"
        return "clean" if self.nets else "no_nets"

    @property
    def clean(self) -> bool:
        return self.status == "clean"

    def to_json(self) -> dict:
        return {"status": self.status, "nets": self.nets, "extracted_nets": self.extracted_nets,
                "opens": self.opens, "shorts": self.shorts, "cells": self.cells, "elapsed_s": round(self.elapsed_s, 3)}

    def lines(self) -> list[str]:
        """Human-readable one line per open and short."""
        out = []
        for o in self.opens:
            out.append(f"open  {o['net']}: pad {o['pad']} does not reach electrode {o['electrode']} "
                       f"({o['pieces']} separate pieces) [{o['cell']}]")
        for s in self.shorts:
            out.append(f"short {' - '.join(s['nets'])}: pads {', '.join(s['pads'])} connected [{s['cell']}]")
        return out


def _labels(ly, cell, layer_ids: dict[str, int], recursive: bool):
    """(tag, net, what, layer name, DPoint) of every pin label on a conductor layer."""
    import klayout.db as kdb

    out = []
    for name, li in layer_ids.items():
        if li is None:
            continue
        texts = kdb.Texts(cell.begin_shapes_rec(li)) if recursive else kdb.Texts(cell.shapes(li))
        for t in texts.each():
            parts = t.string.split(":")
            if len(parts) == 3 and parts[0] in (PAD_TAG, PIN_TAG):
                out.append((parts[0], parts[1], parts[2], name, kdb.Point(t.x, t.y)))
    return out


def labelled_cells(ly, platform: str) -> list:
    """Cells of ``ly`` that hold pin labels in their own shapes (die cells), sorted by name."""
    layer_ids = _layer_ids(ly, platform)
    return sorted((c for c in ly.each_cell() if _labels(ly, c, layer_ids, recursive=False)), key=lambda c: c.name)


def _layer_ids(ly, platform: str) -> dict[str, int | None]:
    """Layer index of every conductor layer in ``ly`` (None where the layout does not have it)."""
    plat = get_platform(platform)
    return {name: ly.find_layer(*plat.layers[name]) for name in CONNECTIVITY[plat.name]["conductors"]}


def _check_cell(ly, cell, platform: str, layer_ids: dict, expected: dict | None) -> tuple[list, list, int, int]:
    import klayout.db as kdb

    conn = CONNECTIVITY[get_platform(platform).name]
    l2n = kdb.LayoutToNetlist(cell.name, ly.dbu)
    regions = {}
    for name in conn["conductors"]:
        li = layer_ids[name]
        r = kdb.Region(cell.begin_shapes_rec(li)) if li is not None else kdb.Region()
        regions[name] = r
        l2n.register(r, name)
        l2n.connect(r)
    for a, b in conn["contacts"]:
        l2n.connect(regions[a], regions[b])
    l2n.extract_netlist()
    circuit = next(l2n.netlist().each_circuit_top_down(), None)
    n_extracted = sum(1 for _ in circuit.each_net()) if circuit is not None else 0
    intended: dict[str, dict] = {}
    on_net: dict[int, set[str]] = {}
    pads_on: dict[int, set[str]] = {}
    for tag, net, what, layer, pt in _labels(ly, cell, layer_ids, recursive=True):
        n = l2n.probe_net(regions[layer], pt)
        nid = n.cluster_id if n is not None else None
        e = intended.setdefault(net, {"pads": set(), "electrodes": set(), "ids": set()})
        e["pads" if tag == PAD_TAG else "electrodes"].add(what)
        e["ids"].add(nid)
        if nid is not None:
            on_net.setdefault(nid, set()).add(net)
            if tag == PAD_TAG:
                pads_on.setdefault(nid, set()).add(what)
    opens = []
    for net, (pad, electrode) in sorted((expected or {}).items()):
        if net not in intended:  # declared by the cell, but its pin labels are not in the layout
            opens.append({"cell": cell.name, "net": net, "pad": pad, "electrode": electrode, "pieces": 0,
                          "off_metal": False})
    for net, e in sorted(intended.items()):
        pieces = len(e["ids"])
        if pieces > 1 or None in e["ids"] or not e["pads"] or not e["electrodes"]:
            opens.append({"cell": cell.name, "net": net, "pad": ",".join(sorted(e["pads"])) or "(none)",
                          "electrode": ",".join(sorted(e["electrodes"])) or "(none)",
                          "pieces": pieces, "off_metal": None in e["ids"]})
    shorts = []
    for nid, names in sorted(on_net.items(), key=lambda kv: sorted(kv[1])):
        if len(names) > 1:
            shorts.append({"cell": cell.name, "nets": sorted(names), "pads": sorted(pads_on.get(nid, ()))})
    return opens, shorts, len(intended), n_extracted


def check_lvs_layout(ly, platform: str, cells: list | None = None, expected: dict | None = None) -> LvsResult:
    """LVS of every labelled cell of klayout layout ``ly`` (or of ``cells``) by ``platform``'s connectivity.

    ``expected``: the intended netlist as a cell declares it (``component.info["nets"]``,
    ``{net: [pad, electrode]}``); a declared net whose labels are missing from a cell is an open."""
    t0 = time.perf_counter()
    plat = get_platform(platform)
    layer_ids = _layer_ids(ly, plat.name)
    cells = labelled_cells(ly, plat.name) if cells is None else cells
    res = LvsResult(platform=plat.name, cells=[c.name for c in cells], nets=0, extracted_nets=0)
    for cell in cells:
        o, s, n, m = _check_cell(ly, cell, plat.name, layer_ids, expected)
        res.opens += o
        res.shorts += s
        res.nets += n
        res.extracted_nets += m
    res.elapsed_s = time.perf_counter() - t0
    return res


def check_lvs_gds(path: str | Path, platform: str, expected: dict | None = None) -> LvsResult:
    """LVS of a GDS/OASIS file (every die cell with pin labels once)."""
    from .drc import _read_layout

    get_platform(platform)
    return check_lvs_layout(_read_layout(Path(path)), platform, expected=expected)


def check_lvs_component(component, platform: str, expected: dict | None = None) -> LvsResult:
    """LVS of a gdsfactory component (its klayout cell and sub-cells); ``expected`` defaults to the
    component's declared ``info["nets"]``."""
    ly = component.kcl.layout
    if expected is None:
        expected = dict(component.info.get("nets", {}) or {})
    return check_lvs_layout(ly, platform, cells=labelled_cells_under(ly, component.kdb_cell, platform) or
                            [component.kdb_cell], expected=expected)


def labelled_cells_under(ly, top, platform: str) -> list:
    """Labelled cells among ``top`` and its descendants, sorted by name."""
    layer_ids = _layer_ids(ly, platform)
    cells = [top] + [ly.cell(i) for i in top.called_cells()]
    return sorted((c for c in cells if _labels(ly, c, layer_ids, recursive=False)), key=lambda c: c.name)
