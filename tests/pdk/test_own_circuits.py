"""A designer's own circuits, built exactly as the issue describes: qchipnet cells placed and joined with
gdsfactory routing on the design kit, checked with the platform DRC, and simulated with
``sax.circuit(c.get_netlist(recursive=True), models=pdk.models)``.

- Si3N4: edge coupler -> ring A (R = 500 um) -> routed bus with two Euler bends -> ring B (R = 600 um)
  -> edge coupler. Physics: passivity, reciprocity, each ring's resonance dips spaced by its own
  FSR = c / (n_g 2 pi R) (n_g from the mode table, an independent quantity from the n_eff(wl) the
  circuit uses), and off resonance the chip transmits the product of its parts, with the routed
  guide's loss = straight loss x drawn route length.
- InP: phase modulator -> routed ridge -> VOA -> routed ridge -> Mach-Zehnder modulator. Its loss is
  the sum of its parts' losses.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import qchipnet
from qchipnet.constants import C_M_PER_S


@pytest.fixture
def kit_active():
    import gdsfactory.pdk as gp

    before = gp._ACTIVE_PDK

    def activate(platform):
        pdk = qchipnet.get_pdk(platform)
        pdk.activate()
        return pdk

    yield activate
    gp._ACTIVE_PDK = before


def _with_floorplan(c, layer, margin=10.0):
    b = c.dbbox()
    c.add_polygon([(b.left - margin, b.bottom - margin), (b.right + margin, b.bottom - margin),
                   (b.right + margin, b.top + margin), (b.left - margin, b.top + margin)], layer=layer)


def _two_ring_circuit():
    import gdsfactory as gf

    c = gf.Component()
    rings = {r: gf.get_component("ring_allpass", radius=r, gap=1.0, heater=False) for r in (500.0, 600.0)}
    ec_in = c.add_ref(gf.get_component("edge_coupler"), name="ec_in")
    ra = c.add_ref(rings[500.0], name="ring_a")
    rb = c.add_ref(rings[600.0], name="ring_b")
    ec_out = c.add_ref(gf.get_component("edge_coupler"), name="ec_out")
    ra.connect("o1", ec_in.ports["o2"])
    rb.move((ra.ports["o2"].dcenter[0] + 3000.0 - rb.ports["o1"].dcenter[0],
             ra.ports["o2"].dcenter[1] + 2500.0 - rb.ports["o1"].dcenter[1]))
    ec_out.connect("o2", rb.ports["o2"])
    route = gf.routing.route_single(c, ra.ports["o2"], rb.ports["o1"], cross_section="xs_sin")
    c.add_port("o1", port=ec_in.ports["o1"])
    c.add_port("o2", port=ec_out.ports["o1"])
    return c, route, rings


def _dips(wl, t, rel_depth=0.97):
    """Indices of local minima of ``t`` deeper than ``rel_depth`` of the median level."""
    base = np.median(t)
    i = np.where((t[1:-1] < t[:-2]) & (t[1:-1] <= t[2:]) & (t[1:-1] < rel_depth * base))[0] + 1
    return i


def test_routed_two_ring_circuit_on_sin(kit_active):
    import jax.numpy as jnp
    import sax
    from qchipnet.models import sin as sinm
    from qchipnet.pdk import get_platform
    from qchipnet.pdk.drc import check_component
    from qchipnet.pdk.sin import LAYER

    pdk = kit_active("sin")
    c, route, rings = _two_ring_circuit()
    kinds = {v["component"] for v in c.get_netlist()["instances"].values()}
    assert {"straight", "bend_euler", "ring_allpass", "edge_coupler"} <= kinds
    _with_floorplan(c, LAYER.FLOORPLAN)
    drc = check_component(c, "sin")
    assert drc.clean, drc.to_json()

    circuit, _ = sax.circuit(c.get_netlist(recursive=True), models=pdk.models)
    fsr = {r: C_M_PER_S / (float(sinm.ngroup(1.55, 2.8, 100.0)) * 2 * math.pi * r * 1e-6) for r in (500.0, 600.0)}
    nu0 = C_M_PER_S / 1.55e-6
    nu = nu0 + np.arange(0.0, 2.1 * fsr[500.0], 40e6)  # 40 MHz steps over two FSRs of ring A
    wl = C_M_PER_S / nu * 1e6
    S = circuit(wl=jnp.asarray(wl))
    t = np.abs(np.asarray(S["o1", "o2"])) ** 2

    # passivity and reciprocity over the whole sweep
    out = sum(np.abs(np.asarray(S[p, "o1"])) ** 2 for p in ("o1", "o2"))
    assert np.all(out <= 1.0 + 1e-12)
    assert np.allclose(np.asarray(S["o1", "o2"]), np.asarray(S["o2", "o1"]), rtol=1e-10, atol=0)

    # each dip belongs to ring A or ring B: the rings alone, from their own cells' circuits
    def ring_alone(radius):
        f, _ = sax.circuit(rings[radius].get_netlist(recursive=True), models=pdk.models)
        return np.abs(np.asarray(f(wl=jnp.asarray(wl))["o1", "o2"])) ** 2

    def refine(tt, i):  # vertex of the parabola through the three grid points around a dip
        a, b, d = tt[i - 1], tt[i], tt[i + 1]
        return nu[i] + 0.5 * (a - d) / (a - 2 * b + d) * (nu[1] - nu[0])

    alone = {r: ring_alone(r) for r in (500.0, 600.0)}
    chip_dips = [refine(t, i) for i in _dips(wl, t)]
    n_found = 0
    for radius, ta in alone.items():
        dips = [refine(ta, i) for i in _dips(wl, ta)]
        n_found += len(dips)
        assert len(dips) >= 2
        spacing = np.diff(sorted(dips))
        assert spacing == pytest.approx(fsr[radius], rel=2e-3), (radius, spacing, fsr[radius])
        for d in dips:  # the chip's dip sits where the lone ring's does
            assert min(abs(np.array(chip_dips) - d)) < 20e6
    assert len(chip_dips) == n_found

    # off resonance: the product of the parts; the routed guide loses 1.7 dB/m over its drawn length
    i_off = int(np.argmax(t))
    loss_db = -10 * math.log10(t[i_off])
    ec = 2 * (get_platform("sin").process["loss_dB_per_m"].nominal * 300e-6 + 1.5)  # two edge couplers
    rings_db = sum(-10 * math.log10(alone[r][i_off]) for r in (500.0, 600.0))
    route_db = get_platform("sin").process["loss_dB_per_m"].nominal * route.length * c.kcl.dbu * 1e-6
    assert route.length * c.kcl.dbu > 3000.0
    assert loss_db == pytest.approx(ec + rings_db + route_db, abs=2e-3)


def _modulator_chain():
    import gdsfactory as gf

    c = gf.Component()
    parts = {"pm": gf.get_component("phase_modulator", length=1000.0), "voa": gf.get_component("voa", length=500.0),
             "im": gf.get_component("mzm")}
    pm, voa, im = (c.add_ref(parts[k], name=k) for k in ("pm", "voa", "im"))
    voa.move((pm.ports["o2"].dcenter[0] + 800.0 - voa.ports["o1"].dcenter[0],
              pm.ports["o2"].dcenter[1] + 600.0 - voa.ports["o1"].dcenter[1]))
    im.move((voa.ports["o2"].dcenter[0] + 800.0 - im.ports["o1"].dcenter[0],
             voa.ports["o2"].dcenter[1] - 600.0 - im.ports["o1"].dcenter[1]))
    r1 = gf.routing.route_single(c, pm.ports["o2"], voa.ports["o1"], cross_section="xs_deep")
    r2 = gf.routing.route_single(c, voa.ports["o2"], im.ports["o1"], cross_section="xs_deep")
    c.add_port("o1", port=pm.ports["o1"])
    c.add_port("o2", port=im.ports["o2"])
    return c, (r1, r2), parts


def test_routed_modulator_chain_on_inp(kit_active):
    import sax
    from qchipnet.models import inp as inpm
    from qchipnet.pdk.drc import check_component
    from qchipnet.pdk.inp import LAYER

    pdk = kit_active("inp")
    c, routes, parts = _modulator_chain()
    _with_floorplan(c, LAYER.FLOORPLAN, margin=50.0)
    drc = check_component(c, "inp")
    assert drc.clean, drc.to_json()

    net = c.get_netlist(recursive=True)
    circuit, _ = sax.circuit(net, models=pdk.models)
    wl = np.array([1.545, 1.55, 1.555])
    S = circuit(wl=wl)
    t = np.abs(np.asarray(S["o1", "o2"])) ** 2
    assert np.all(t <= 1.0) and np.allclose(np.asarray(S["o1", "o2"]), np.asarray(S["o2", "o1"]), rtol=1e-9, atol=0)

    # the sum of the parts: each part's own model / circuit, the routes from their drawn lengths
    def part_db(name):
        cell = parts[name]
        if name == "im":
            f, _ = sax.circuit(cell.get_netlist(recursive=True), models=pdk.models)
            return -10 * np.log10(np.abs(np.asarray(f(wl=wl)["o1", "o2"])) ** 2)
        info = {**dict(cell.settings), **dict(cell.info)}
        model = pdk.models[{"pm": "phase_modulator", "voa": "voa"}[name]]
        kw = {k: v for k, v in info.items() if k in inspect.signature(model).parameters}
        return -10 * np.log10(np.abs(np.asarray(model(wl=wl, **kw)["o1", "o2"])) ** 2)

    route_um = sum(r.length for r in routes) * c.kcl.dbu
    assert route_um > 1200.0
    parts = part_db("pm") + part_db("voa") + part_db("im") + inpm.LOSS_DB_PER_CM["deep"] * route_um * 1e-4
    # tolerance: the router's length counts its bends on the 1 nm grid (a few 0.1 um over four bends)
    assert -10 * np.log10(t) == pytest.approx(parts, abs=2e-5)
