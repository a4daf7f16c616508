"""The batch evaluators (``circuits.devices``) against their oracles, the sax circuits built from the
cells' own netlists, over a set of designs and process offsets (not only the nominal point):
extinction and visibility within 0.05 dB, FSR and Q within 1e-4 relative, insertion loss within
0.01 dB. A batch of N gives the same numbers as N batches of one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qchipnet.circuits import devices as dv

RING0 = dict(radius_um=997.711, width_um=2.8, gap_um=1.99, thickness_nm=100.0, bus_width_um=2.8)
TX0 = dict(die_width_um=4600.0, die_height_um=2000.0, pm_length_um=1500.0, voa_length_um=500.0, ridge_width_um=1.5)

#: (design change, process offsets): over-, critically and under-coupled rings, narrow buses, films
RING_CASES = [
    ({}, {}),
    ({"gap_um": 1.4}, {}),
    ({"radius_um": 800.0, "width_um": 2.6, "bus_width_um": 2.4, "gap_um": 1.6}, {"thickness_nm": -1.0}),
    ({"radius_um": 1500.0, "width_um": 2.5, "bus_width_um": 2.5, "gap_um": 2.6},
     {"width_bias_um": 0.03, "ring_loss_dB_per_m": 0.2}),
    ({}, {"width_bias_um": -0.05, "thickness_nm": 1.2, "ring_loss_dB_per_m": -0.25}),
]

TX_CASES = [
    ({}, {}),
    ({"pm_length_um": 1100.0}, {}),
    ({"ridge_width_um": 1.7}, {}),
    ({}, {"mmi_width_bias_um": 0.07}),
    ({}, {"arm_loss_imbalance_dB": 0.3}),
    ({}, {"eo_coefficient_ln": -0.4, "core_bandgap_um": 0.02}),
    ({"pm_length_um": 900.0}, {"mmi_width_bias_um": -0.12, "arm_loss_imbalance_dB": 0.1, "eo_coefficient_ln": 0.3}),
]


def _sax_ring(ring, offsets):
    """Extinction, resonance and the through-port minimum of the ring cell's sax circuit."""
    import jax.numpy as jnp
    from qchipnet.circuits.ring import ring_cell, ring_circuit, ring_settings
    from qchipnet.pdk import get_platform
    from scipy.optimize import minimize_scalar

    proc = get_platform("sin").process
    dw = offsets.get("width_bias_um", 0.0)
    fab = dict(ring, width_um=ring["width_um"] + dw, bus_width_um=ring["bus_width_um"] + dw,
               gap_um=ring["gap_um"] - dw, thickness_nm=ring["thickness_nm"] + offsets.get("thickness_nm", 0.0))
    loss = proc["ring_loss_dB_per_m"].nominal + offsets.get("ring_loss_dB_per_m", 0.0)
    proc = proc.with_overrides({"ring_loss_dB_per_m": {"nominal": loss}})
    m = {k: float(v) for k, v in dv.ring_metrics(fab, process=proc).items()}
    fn, net = ring_circuit(ring_cell(fab, heater=False))
    settings = ring_settings(net, fab, proc)
    w0, dwl = m["resonance_wl_nm"] * 1e-3, m["resonance_wl_nm"] * 1e-3 / m["q_loaded"]

    def t(x):
        return float(jnp.abs(fn(wl=w0 + x * dwl, **settings)["o1", "o2"]) ** 2)

    r = minimize_scalar(t, bounds=(-0.5, 0.5), method="bounded", options={"xatol": 1e-10})
    # off-resonance level half an FSR away (normalises the bus loss out)
    t_off = t(w0 * w0 / (2 * m["n_g"] * 2 * math.pi * fab["radius_um"]) / dwl)
    return {"extinction_dB": 10 * math.log10(t_off / r.fun), "detuning_linewidths": r.x}


@pytest.mark.parametrize("change,offsets", RING_CASES)
def test_ring_evaluator_matches_the_sax_circuit_of_the_cell(change, offsets):
    ring = {**RING0, **change}
    m = {k: float(v) for k, v in dv.ring_metrics(ring, offsets).items()}
    sax = _sax_ring(ring, offsets)
    assert m["extinction_dB"] == pytest.approx(sax["extinction_dB"], abs=0.05)
    assert abs(sax["detuning_linewidths"]) < 0.05  # resonance wavelength within 5 % of a linewidth


def test_ring_closed_forms_hold_for_every_die():
    """FSR = c/(n_g L), Q_i = 2 pi n_g/(lambda alpha), 1/Q_L = 1/Q_i + 1/Q_c, per die of a batch."""
    from qchipnet.constants import C_M_PER_S, LAMBDA0_UM

    rng = np.random.default_rng(3)
    off = {"width_bias_um": rng.normal(0, 0.03, 64), "thickness_nm": rng.normal(0, 0.8, 64),
           "ring_loss_dB_per_m": rng.normal(0, 0.15, 64)}
    m = dv.ring_metrics(RING0, off)
    L = 2 * math.pi * RING0["radius_um"] * 1e-6
    np.testing.assert_allclose(m["fsr_GHz"] * 1e9, C_M_PER_S / (m["n_g"] * L), rtol=1e-12)
    alpha = m["ring_loss_dB_per_m"] / (10 / math.log(10))
    # Q_i is taken at the pump resonance (within 0.2 nm of lambda_0, where n_g is tabulated)
    np.testing.assert_allclose(m["q_intrinsic"], 2 * math.pi * m["n_g"] / (LAMBDA0_UM * 1e-6 * alpha), rtol=2e-4)
    np.testing.assert_allclose(1 / m["q_loaded"], 1 / m["q_intrinsic"] + 1 / m["q_coupling"], rtol=1e-12)
    assert np.all((m["power_coupling_K"] > 0) & (m["power_coupling_K"] < 1))  # passive coupler


def test_batch_equals_batches_of_one():
    rng = np.random.default_rng(5)
    off = {"width_bias_um": rng.normal(0, 0.03, 5), "thickness_nm": rng.normal(0, 0.8, 5)}
    batch = dv.ring_metrics(RING0, off)
    for i in range(5):
        one = dv.ring_metrics(RING0, {k: v[i] for k, v in off.items()})
        for k in ("fsr_GHz", "q_coupling", "extinction_dB", "resonance_wl_nm"):
            assert float(one[k]) == pytest.approx(float(batch[k][i]), rel=1e-12)
    toff = {"eo_coefficient_ln": rng.normal(0, 0.5, 5), "mmi_width_bias_um": rng.normal(0, 0.05, 5)}
    tb = dv.transmitter_metrics(TX0, toff)
    for i in range(5):
        one = dv.transmitter_metrics(TX0, {k: v[i] for k, v in toff.items()})
        for k in ("vpi_V", "im_visibility_dB", "im_insertion_loss_dB"):
            assert float(one[k]) == pytest.approx(float(tb[k][i]), rel=1e-12)


@pytest.mark.parametrize("change,offsets", TX_CASES)
def test_im_evaluator_matches_the_sax_circuit_of_the_cell(change, offsets):
    from qchipnet.circuits.transmitter import im_metrics

    tx = {**TX0, **change}
    m = {k: float(np.asarray(v).reshape(-1)[0]) for k, v in dv.transmitter_metrics(tx, offsets).items()
         if k != "reachable"}
    im = im_metrics(pm_length=tx["pm_length_um"], width=tx["ridge_width_um"],
                    arm_loss_imbalance_dB=offsets.get("arm_loss_imbalance_dB", 0.0),
                    mmi_width_error_um=offsets.get("mmi_width_bias_um", 0.0),
                    core_bandgap_um=1.25 + offsets.get("core_bandgap_um", 0.0),
                    eo_rel=math.exp(offsets.get("eo_coefficient_ln", 0.0)))
    assert m["im_visibility_dB"] == pytest.approx(im["visibility_dB"], abs=0.05)
    assert m["im_visibility_te_only_dB"] == pytest.approx(im["visibility_te_only_dB"], abs=0.05)
    assert m["im_insertion_loss_dB"] == pytest.approx(im["insertion_loss_dB"], abs=0.01)
    assert m["im_v_off_V"] == pytest.approx(im["v_off_V"], abs=0.01)


def test_vpi_follows_the_phase_that_scales_with_length():
    """The EO phase at a given bias is proportional to the electrode length, so V_pi(L) solves
    (L / L0) phi_L0(V) = pi; with the quadratic (band-edge) term V_pi falls a little slower than L0 / L."""
    from qchipnet.models import inp as M

    L = np.array([900.0, 1100.0, 1300.0, 1500.0, 1700.0])
    v = dv.transmitter_metrics({**TX0, "pm_length_um": L})["vpi_V"]
    phase = np.array([float(M.pm_phase_rad(x, length_um=1500.0)) for x in v]) * L / 1500.0
    np.testing.assert_allclose(phase, np.pi, rtol=1e-9)
    assert np.all(np.diff(v) < 0) and np.all(np.diff(v * L) > 0)
    assert v[0] / v[3] == pytest.approx(1500.0 / 900.0, rel=0.2)


def test_unknown_names_are_errors():
    from qchipnet.validate import InputError

    with pytest.raises(InputError, match="unknown"):
        dv.ring_metrics({**RING0, "radius": 1000.0})
    with pytest.raises(InputError, match="unknown sin process parameter"):
        dv.ring_metrics(RING0, {"width_bias": 0.01})
    with pytest.raises(InputError, match="missing"):
        dv.transmitter_metrics({k: v for k, v in TX0.items() if k != "ridge_width_um"})


def test_out_of_domain_dies_are_named_with_their_index():
    from qchipnet.validate import InputError

    with pytest.raises(InputError, match=r"thickness_nm = .* \(die 1 of 3\)"):
        dv.ring_metrics(RING0, {"thickness_nm": np.array([0.0, 60.0, 0.0])})


def _every_order_extrema(im, field, psi0, orders=40):
    """Oracle of ``devices._im_extrema``: the field at every null and peak phase order below the driver's
    limit and at the sweep's ends; the deepest and the highest."""
    import jax.numpy as jnp
    from qchipnet.models import inp as M

    def best(theta0, pick):
        k = jnp.arange(orders).reshape((-1,) + (1,) * jnp.ndim(theta0)) * 2 * jnp.pi
        v = M.pm_voltage_for_phase_V(jnp.mod(theta0, 2 * jnp.pi)[None] + k, im["a"][None], im["b"][None])
        v = jnp.concatenate([v, jnp.zeros_like(v[:1]), jnp.full_like(v[:1], dv.IM_V_MAX_V)])
        t = jnp.where(v <= dv.IM_V_MAX_V, jnp.abs(field(v)) ** 2, jnp.nan)
        return jnp.take_along_axis(v, pick(t, axis=0)[None], axis=0)[0]

    return best(-psi0, jnp.nanargmax), best(jnp.pi - psi0, jnp.nanargmin)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), near_balance=st.booleans())
def test_im_extrema_equal_the_search_over_every_phase_order(seed, near_balance):
    """The IM's null and peak from the two orders around the equal-amplitude bias (and the sweep ends)
    are those of a search over every phase order, for PMs from 0.2 to 5 mm, any path phases and path
    amplitude ratios near 1 (where electro-absorption moves the deepest null to a higher order) or far."""
    import jax.numpy as jnp
    from qchipnet.models import inp as M

    dv._x64()
    rng = np.random.default_rng(seed)
    n = 4000
    L, core = rng.uniform(200, 5000, n), rng.uniform(0.3, 0.7, n)
    ratio = rng.uniform(0.98, 1.02, n) if near_balance else rng.uniform(0.3, 3.0, n)
    A = 0.5 * np.exp(2j * np.pi * rng.random(n))
    im = {"a": jnp.asarray(rng.uniform(0.02, 0.6, n) * L / 1500), "b": jnp.asarray(rng.uniform(0, 0.05, n) * L / 1500),
          "A": jnp.asarray(A), "Bn": jnp.asarray(A * ratio * np.exp(2j * np.pi * rng.random(n))),
          "L_pm": jnp.asarray(L), "core": jnp.asarray(core)}
    im["pm0"] = M.pm_loss_dB(0.0, length_um=im["L_pm"], core_um=im["core"])
    field = lambda v: dv._im_field(im, v)  # noqa: E731
    psi0 = jnp.angle(im["Bn"]) - jnp.angle(im["A"])
    v_on, e_on, v_off, e_off = dv._im_extrema(im, field, psi0)
    o_on, o_off = _every_order_extrema(im, field, psi0)
    np.testing.assert_array_equal(np.asarray(v_on), np.asarray(o_on))
    np.testing.assert_array_equal(np.asarray(v_off), np.asarray(o_off))
    np.testing.assert_array_equal(np.asarray(e_off), np.asarray(field(o_off)))
    assert np.all(np.asarray(v_off) <= dv.IM_V_MAX_V) and np.all(np.asarray(v_off) >= 0)


def test_ea_voltage_inverts_the_pm_loss():
    from qchipnet.models import inp as M

    v = np.linspace(0.0, 14.0, 29)
    for L, core in ((300.0, 0.4), (1500.0, 0.5), (4000.0, 0.65)):
        ea = np.asarray(M.pm_loss_dB(v, length_um=L, core_um=core) - M.pm_loss_dB(0.0, length_um=L, core_um=core))
        np.testing.assert_allclose(np.asarray(M.pm_voltage_for_ea_dB(ea, length_um=L, core_um=core)), v, atol=1e-9)
