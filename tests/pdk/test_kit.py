"""The design kits (``qchipnet.get_pdk``): real gdsfactory PDKs with every cell and a model for every
cell, no leaks between platforms, no side effects on import, and the new routing/heater models'
physics (passivity, reciprocity, length scaling, the 1-D limit of the heater's heat flow)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest
import qchipnet
from hypothesis import given, settings
from hypothesis import strategies as st
from qchipnet.pdk import PLATFORMS, activated

GENERIC_NAMES = {"strip", "rib", "nitride", "metal_routing", "ring_single", "mmi1x2_with_sbend", "pad"}
#: Composite cells that carry a model anyway (a leaf in all but its drawing); see circuits.kit.
COMPOSITE_WITH_MODEL = {
    "ssc_facet",  # components/inp/facet.py draws transition + taper sub-instances
    "heater_ring",  # electrical only: its model (no optical coupling) and its netlist agree exactly
}


@pytest.fixture(scope="module")
def kits():
    return {p: qchipnet.get_pdk(p) for p in PLATFORMS}


def test_import_changes_nothing_and_is_light():
    code = ("import sys, gdsfactory.pdk as gp\n"
            "before = set(sys.modules)\n"
            "import qchipnet\n"
            "new = set(sys.modules) - before\n"
            "heavy = sorted(m for m in new if m.split('.')[0] in ('jax', 'sax', 'meow', 'tidy3d', 'pandas', 'scipy'))\n"
            "assert not heavy, heavy\n"
            "assert gp._ACTIVE_PDK is None, gp._ACTIVE_PDK\n"
            "qchipnet.get_pdk('sin'); qchipnet.get_pdk('inp')\n"
            "assert gp._ACTIVE_PDK is None, 'building a kit activated it'\n"
            "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-2000:]


def test_platforms_do_not_leak_names(kits):
    sin, inp = kits["sin"], kits["inp"]
    assert not set(sin.cross_sections) & set(inp.cross_sections)
    assert sin.name == "qchipnet_sin" and inp.name == "qchipnet_inp"
    routing = {"straight", "bend_euler", "bend_circular", "bend_s", "taper", "wire_straight", "wire_corner"}
    assert set(sin.cells) & set(inp.cells) == routing
    for k in (sin, inp):
        assert not (set(k.cells) | set(k.cross_sections)) & GENERIC_NAMES
    assert {"ring_allpass", "heater_ring", "server_chip"} <= set(sin.cells)
    assert {"mzm", "phase_modulator", "dbr_laser", "transmitter_chip"} <= set(inp.cells)
    assert not {"mzm", "dbr_laser"} & set(sin.cells)


def test_cells_resolve_on_the_platform_cross_section(kits):
    import gdsfactory as gf
    import gdsfactory.pdk as gp

    before = gp._ACTIVE_PDK
    kits["sin"].activate()
    try:
        ring = gf.get_component("ring_allpass", radius=600.0)
        assert ring.info["radius_um"] == 600.0
        s = gf.get_component("straight", length=50)
        assert s.ports["o1"].width == pytest.approx(2.8) and s.layers == [(1, 0)]
        with pytest.raises(ValueError, match="not in PDK"):
            gf.get_component("mzm")
        kits["inp"].activate()
        s = gf.get_component("straight", length=50)
        assert s.ports["o1"].width == pytest.approx(1.5) and s.layers == [(1, 0)] and s.info["etch_depth_um"] == 3.0
        assert gf.get_component("mzm").info["pm_length"] == 1500.0
    finally:
        gp._ACTIVE_PDK = before


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_cell_has_a_model_or_is_composite(kits, platform):
    """sax builds composites from their netlists; a cell with a model must be a leaf (circuits.kit)."""
    import gdsfactory as gf

    k = kits[platform]
    with activated(platform):
        pass
    import gdsfactory.pdk as gp

    before = gp._ACTIVE_PDK
    k.activate()
    try:
        for name in sorted(k.cells):
            c = gf.get_component(name)
            composite = bool(list(c.insts))
            if name in COMPOSITE_WITH_MODEL:
                continue
            assert composite != (name in k.models), f"{name}: composite={composite}, model={name in k.models}"
    finally:
        gp._ACTIVE_PDK = before


def _routing_cell_info(platform, name, **kw):
    import gdsfactory as gf
    import gdsfactory.pdk as gp

    before = gp._ACTIVE_PDK
    qchipnet.get_pdk(platform).activate()
    try:
        return dict(gf.get_component(name, **kw).info)
    finally:
        gp._ACTIVE_PDK = before


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("name", ["straight", "bend_euler", "bend_circular", "bend_s", "taper"])
def test_routing_models_take_what_their_cells_publish(kits, platform, name):
    """The model's geometric parameters are exactly names the cell publishes in ``info``; evaluated
    with that info the model is passive and reciprocal over the band."""
    kw = {"taper": {"width2": 3.0 if platform == "sin" else 2.0}}.get(name, {})
    info = _routing_cell_info(platform, name, **kw)
    model = kits[platform].models[name]
    params = set(inspect.signature(model).parameters)
    geometric = {p for p in params if p.endswith("_um")}
    assert geometric <= set(info), f"{name}: model wants {geometric - set(info)} not in cell info"
    wl = np.linspace(1.535, 1.565, 7)
    s = model(wl=wl, **{p: info[p] for p in params & set(info)})
    t12, t21 = np.asarray(s["o1", "o2"]), np.asarray(s["o2", "o1"])
    assert np.allclose(t12, t21)
    assert np.all(np.abs(t12) <= 1.0) and np.all(np.abs(t12) > 0.9)


@settings(max_examples=15, deadline=None)
@given(length=st.floats(10.0, 5000.0), platform=st.sampled_from(PLATFORMS))
def test_straight_loss_is_linear_in_length(length, platform):
    """Twice the length, twice the dB (the class of bug sax's own loss unit once had)."""
    m = qchipnet.get_pdk(platform).models["straight"]
    db = [-20 * np.log10(abs(complex(np.asarray(m(wl=1.55, length_um=L)["o1", "o2"])))) for L in (length, 2 * length)]
    assert db[1] == pytest.approx(2 * db[0], rel=1e-9)
    per_m = db[0] / (length * 1e-6)
    from qchipnet.pdk import get_platform

    expected = (get_platform("sin").process["loss_dB_per_m"].nominal if platform == "sin" else 2.5 * 100)
    assert per_m == pytest.approx(expected, rel=1e-9)


def test_heater_wide_strip_reaches_the_one_dimensional_limit():
    """A heater much wider than the oxide stack conducts one-dimensionally: ΔT = q'' h / k with q''
    the power per area and h the guide height above the isothermal substrate."""
    from qchipnet.models.routing import (
        K_SIO2_W_PER_M_K,
        heater_thermal_resistance_K_m_per_W,
    )

    w, box, clad, t = 50.0, 1.0, 0.5, 100.0
    r = heater_thermal_resistance_K_m_per_W(w, t, box, clad)
    h = (box + t * 1e-3 / 2) * 1e-6
    one_d = h / (K_SIO2_W_PER_M_K * w * 1e-6)
    assert r == pytest.approx(one_d, rel=0.03)


def test_heater_tunes_the_ring_by_the_thermo_optic_shift():
    """Heater power moves the ring arc's phase by 2 pi/wl dn_eff/dT ΔT L (models.sin table)."""
    from qchipnet.models import sin as sinm
    from qchipnet.models.routing import heater_temperature_rise_K

    m = qchipnet.get_pdk("sin").models["ring_arc"]
    s0 = complex(np.asarray(m(wl=1.55)["o1", "o2"]))
    s1 = complex(np.asarray(m(wl=1.55, heater_power_mW=50.0)["o1", "o2"]))
    dT = float(heater_temperature_rise_K(50.0, heated_length_um=3141.593))
    assert 2.0 < dT < 20.0  # tens of mW heat a mm ring by a few K (thick-oxide Si3N4 heaters)
    expected = float(sinm.heater_phase_rad(heated_length_um=3141.593, delta_T_K=dT))
    # tolerance: the arc's absolute phase is ~2e4 rad; tables loaded before jax's float64 mode is on
    # (klujax enables it when sax is imported) round it to ~1e-3 rad
    assert np.angle(s1 / s0) == pytest.approx(np.angle(np.exp(1j * expected)), abs=2e-3)
    assert abs(s1) == pytest.approx(abs(s0))


def test_electrical_ports_are_optically_dark(kits):
    pm = kits["inp"].models["phase_modulator"]
    s = pm(wl=1.55)
    assert abs(complex(np.asarray(s["e1", "e1"]))) == 0.0
    assert abs(complex(np.asarray(s["o1", "o2"]))) > 0.5
    assert list(inspect.signature(pm).parameters)[:2] == ["wl", "length"]


def test_chips_and_flat_netlists_simulate_with_the_kit_models(kits):
    """Every cell has a model: whole chips (pads, heaters, routes included) are sax circuits, and so is a
    ring's flat ``get_netlist()`` (the issue's failing call)."""
    import gdsfactory as gf
    import gdsfactory.pdk as gp
    import sax

    before = gp._ACTIVE_PDK
    try:
        kits["sin"].activate()
        ring = gf.get_component("ring_allpass", radius=600.0)
        flat, _ = sax.circuit(ring.get_netlist(), models=kits["sin"].models)
        rec, _ = sax.circuit(ring.get_netlist(recursive=True), models=kits["sin"].models)
        wl = np.linspace(1.5499, 1.5501, 5)
        assert np.allclose(np.asarray(flat(wl=wl)["o1", "o2"]), np.asarray(rec(wl=wl)["o1", "o2"]))
        chip, _ = sax.circuit(gf.get_component("server_chip").get_netlist(recursive=True), models=kits["sin"].models)
        s = chip(wl=1.55)
        t = abs(complex(np.asarray(s["o1", "o2"]))) ** 2
        assert 0.0 < t < 1.0 and t == pytest.approx(abs(complex(np.asarray(s["o2", "o1"]))) ** 2)
        kits["inp"].activate()
        tx = gf.get_component("transmitter_chip")
        chip, _ = sax.circuit(tx.get_netlist(recursive=True), models=kits["inp"].models)
        s = chip(wl=1.55)
        ports = sorted({p for p, _ in s})
        for p in ports:  # passivity of every column
            assert sum(abs(complex(np.asarray(s[q, p]))) ** 2 for q in ports) <= 1.0 + 1e-9
        assert abs(complex(np.asarray(s["rear_q", "o_q"]))) > 0.01
    finally:
        gp._ACTIVE_PDK = before


@pytest.mark.parametrize("platform, width", [("sin", 2.8), ("inp", 1.5)])
def test_routing_strategies_default_to_the_platform_cross_section(kits, platform, width):
    """``pdk.routing_strategies["route_bundle"]`` routes on the platform's guide without naming it."""
    import gdsfactory as gf
    import gdsfactory.pdk as gp

    before = gp._ACTIVE_PDK
    k = kits[platform]
    k.activate()
    try:
        c = gf.Component()
        a = c << gf.get_component("straight", length=10)
        b = c << gf.get_component("straight", length=10)
        b.move((3000.0, 2500.0))
        k.routing_strategies["route_bundle"](c, [a.ports["o2"]], [b.ports["o1"]])
        kinds = {i["component"] for i in c.get_netlist()["instances"].values()}
        assert {"straight", "bend_euler"} <= kinds
        widths = {round(float(i.cell.info["width"]), 3) for i in c.insts}
        assert widths == {width}
    finally:
        gp._ACTIVE_PDK = before
