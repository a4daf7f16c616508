"""The IM driver's DAC resolution: each die's intensity-level error from its own IM transfer curve, and the
pair's decoy analysis that takes it as its intensity fluctuation (issue 12, item 3)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qchipnet.circuits import devices as dv
from qchipnet.design import default_design
from qchipnet.models import inp as M
from qchipnet.validate import InputError

TX = default_design().transmitter.model_dump()


def _oracle_levels(tx: dict, levels) -> tuple:
    """Independent oracle: the die's field E(V) (``_im_field``, the function behind ``im_field_function``) on a
    dense bias grid, each level's bias by bisection on the half fringe next to the evaluator's null, towards
    its peak. Returns (T(V) as a numpy function, the level biases)."""
    import jax

    m = dv.transmitter_metrics(tx, keys=("im_v_on_V", "im_v_off_V"))
    v_on, v_off = float(m["im_v_on_V"]), float(m["im_v_off_V"])
    x = {k: float(np.asarray(v)) for k, v in dv._transmitter_inputs(tx, None, None).items()}
    M.eo_calibration()
    dv._x64()
    im = dv._im_parts(x["L_pm"], x["ridge"] + x["wb"], x["etch"], x["core"], x["bg"], x["mw"], x["arm_dB"],
                      x["eo_ln"], dv.LAMBDA0_UM)
    f = jax.jit(lambda v: jax.numpy.abs(dv._im_field(im, v)) ** 2)

    def t(v):
        return np.asarray(f(np.asarray(v, dtype=float)))

    t_on = float(t(v_on))
    grid = np.linspace(v_off, v_on, 2001)
    tg = t(grid)
    target = np.asarray(levels) * t_on
    k = np.argmax(tg[None, :] >= target[:, None], axis=1)  # the first crossing from the null
    lo, hi = grid[k - 1], grid[k]
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        same = (t(mid) >= target) == (t(hi) >= target)
        lo, hi = np.where(same, lo, mid), np.where(same, mid, hi)
    return t, 0.5 * (lo + hi)


def test_error_matches_exact_oracle_and_halves_per_bit():
    """Against the exact largest change of the die's own transfer over its level bias +- LSB/2 (within 1 %),
    and one more DAC bit halves the error (the LSB halves; the level's bias does not depend on the DAC)."""
    t, volts = _oracle_levels(TX, dv.IM_DAC["levels"])
    prev = None
    for bits in (10, 12, 14):
        h = dv.IM_DAC["full_scale_V"] / (2**bits - 1) / 2
        exact = np.maximum(np.abs(t(volts + h) - t(volts)), np.abs(t(volts - h) - t(volts))) / t(volts)
        e = dv.im_intensity_errors(TX, bits=bits)["error_rel"]
        np.testing.assert_allclose(e, exact, rtol=1e-2)
        if prev is not None:
            np.testing.assert_allclose(prev / e, (2**bits - 1) / (2 ** (bits - 2) - 1), rtol=1e-6)
        prev = e
    e12, e13 = (dv.im_intensity_errors(TX, bits=b)["error_rel"] for b in (12, 13))
    np.testing.assert_allclose(e12 / e13, 2.0, rtol=1e-3)


def test_levels_are_the_requested_ones_and_metric_is_their_maximum():
    r = dv.im_intensity_errors(TX)
    np.testing.assert_allclose(r["level"], dv.IM_DAC["levels"], rtol=1e-3)
    m = dv.transmitter_metrics(TX, keys=("im_intensity_error_rel",))
    assert float(m["im_intensity_error_rel"]) == pytest.approx(float(np.max(r["error_rel"])), rel=1e-12)
    assert np.argmax(r["error_rel"]) == int(np.argmin(dv.IM_DAC["levels"]))  # the weakest level is the worst


def _local_small_angle(tx: dict, r: float, v_level: float) -> float:
    """(pi / V_pi,local) tan(theta) LSB/2 with cos^2 theta = r and V_pi,local = pi / (d phi / dV) at the level's bias."""
    x = dv._transmitter_inputs(tx, None, None)
    a, b = M.pm_coeffs_core(float(x["L_pm"]), dv.LAMBDA0_UM, float(x["ridge"] + x["wb"]), float(x["core"]),
                            float(x["etch"]), float(x["bg"]), math.exp(float(x["eo_ln"])))
    slope = float(a + 2 * b * (v_level + M.EO.v_bi_V))
    lsb = dv.IM_DAC["full_scale_V"] / (2 ** dv.IM_DAC["bits"] - 1)
    return slope * math.tan(math.acos(math.sqrt(r))) * lsb / 2


@pytest.mark.parametrize("pm_length_um", [1000.0, 1500.0, 2000.0, 3000.0])
def test_small_angle_formula_with_local_vpi(pm_length_um):
    """Where the two-path cos^2 picture holds (the weak level, far from the peak and the null), the error is the
    small-angle formula (pi / V_pi) tan(theta) LSB/2 with the V_pi at the level's bias (the quadratic EO term
    makes it smaller than the 0-V V_pi): within 3 %."""
    tx = {**TX, "pm_length_um": pm_length_um}
    r = dv.im_intensity_errors(tx)
    k = int(np.argmin(dv.IM_DAC["levels"]))
    lv = dv.IM_DAC["levels"][k]
    assert float(r["error_rel"][k]) == pytest.approx(_local_small_angle(tx, lv, float(r["v_level_V"][k])), rel=3e-2)


def test_error_falls_with_vpi():
    """A longer PM has a smaller V_pi, a steeper transfer and a larger level error per LSB: the error falls
    as V_pi grows (~ 1 / V_pi)."""
    lengths = (1000.0, 1500.0, 2000.0, 3000.0)
    vpi, err = [], []
    for L in lengths:
        m = dv.transmitter_metrics({**TX, "pm_length_um": L}, keys=("vpi_V", "im_intensity_error_rel"))
        vpi.append(float(m["vpi_V"]))
        err.append(float(m["im_intensity_error_rel"]))
    order = np.argsort(vpi)
    assert np.all(np.diff(np.array(err)[order]) < 0)


def test_snapped_code_error_is_bounded_and_the_bound_is_reached():
    """The nearest code's own error never exceeds the bound; over dies whose level bias falls anywhere
    between two codes it comes close to it (the bound is the worst case, not a loose estimate)."""
    rng = np.random.default_rng(3)
    n = 400
    off = {"eo_coefficient_ln": rng.normal(0.0, 0.05, n), "arm_loss_imbalance_dB": rng.normal(0.0, 0.2, n),
           "mmi_width_bias_um": rng.normal(0.0, 0.01, n)}
    r = dv.im_intensity_errors(TX, off)
    frac = r["snapped_rel"] / r["error_rel"]
    assert np.all(frac <= 1 + 1e-3)
    assert np.all(np.max(frac, axis=1) > 0.95)
    assert np.all(np.min(frac, axis=1) < 0.05)


def test_error_is_differentiable_in_the_design():
    """The optimiser differentiates the error through the evaluator's IM (the same functions as
    ``_transmitter_physics``): jax gradient in the PM length = central difference."""
    import jax

    x = {k: float(np.asarray(v)) for k, v in dv._transmitter_inputs(TX, None, None).items()}
    M.eo_calibration()
    dv._x64()

    def err(L):
        im = dv._im_parts(L, x["ridge"] + x["wb"], x["etch"], x["core"], x["bg"], x["mw"], x["arm_dB"], x["eo_ln"],
                          dv.LAMBDA0_UM)
        psi0 = jax.numpy.angle(im["Bn"]) - jax.numpy.angle(im["A"])

        def field(v):
            return dv._im_field(im, v)

        v_on, e_on, v_off, e_off = dv._im_extrema(im, field, psi0)
        return dv._im_dac(im, field, e_on, v_on, e_off, v_off)["error_rel"].max(axis=0)

    L0, h = 1500.0, 0.5
    g = float(jax.jit(jax.grad(err))(L0))
    f = jax.jit(err)
    fd = (float(f(L0 + h)) - float(f(L0 - h))) / (2 * h)
    assert math.isfinite(g)
    assert g == pytest.approx(fd, rel=2e-2)


def test_bad_input_is_one_line():
    with pytest.raises(InputError, match="bits"):
        dv.im_intensity_errors(TX, bits=40)
    with pytest.raises(InputError, match="levels"):
        dv.im_intensity_errors(TX, levels=(0.0,))


# ----------------------------------------------------------------------------- the pair's key rate
def _one_pair(err_a: np.ndarray, err_b: np.ndarray):
    """Server and client arrays of N networks of one pair (slot 1 at 370 km) with the article's chips and
    the given DAC level errors of A and B (one per chip)."""
    from qchipnet.system.devices import ServerMetrics, TransmitterMetrics
    from qchipnet.system.network import (
        NetworkParams,
        client_arrays,
        default_pairs,
        server_arrays,
    )

    n = len(err_a)
    params = NetworkParams(pairs=default_pairs(370.0)[:1])
    cl = {k: np.repeat(v[None], n, axis=0) for k, v in client_arrays([TransmitterMetrics()] * 2).items()}
    cl["im_intensity_error_rel"] = np.stack([err_a, err_b], axis=1)
    srv = {k: np.repeat(v, n) for k, v in server_arrays(ServerMetrics()).items()}
    return srv, cl, params


def test_pair_takes_the_larger_error_and_rate_is_monotone():
    """The pair's intensity fluctuation is the larger of its chips' level errors, and the key rate does not
    increase with it (worst-case decoy bounds, the same protocol)."""
    from qchipnet.system.network import network_batch
    from qchipnet.system.snstf import SNSProtocol

    deltas = np.array([0.0, 1e-3, 3e-3, 1e-2, 3e-2, 0.1])
    srv, cl, params = _one_pair(deltas, deltas[::-1] * 0.5)
    proto = [SNSProtocol(mu_z=0.43, epsilon=0.033, mu_1=0.05, mu_2=0.46, p_z=0.8, p_0=0.29, p_1=0.65)]
    q = network_batch(srv, cl, params, protocols=proto)["pairs"]
    np.testing.assert_allclose(q["intensity_fluctuation"][:, 0], np.maximum(deltas, deltas[::-1] * 0.5))
    srv, cl, params = _one_pair(deltas, np.zeros_like(deltas))
    kr = network_batch(srv, cl, params, protocols=proto)["pairs"]["key_rate_per_pulse"][:, 0]
    assert kr[0] > 0
    assert np.all(np.diff(kr) <= 0)
    assert kr[-1] < kr[0]


def test_pair_loses_what_keyrate_cli_loses():
    """A pair of nominal dies at 370 km with its DAC error loses what ``qchipnet keyrate --distance-km 370
    --intensity-fluctuation delta`` loses on the same channel (its e_d and noise): the same engine and
    optimiser, so to 1e-6."""
    from qchipnet.cli.keyrate import compute
    from qchipnet.system.network import network_batch

    delta = float(dv.transmitter_metrics(TX, keys=("im_intensity_error_rel",))["im_intensity_error_rel"])
    assert 1e-3 < delta < 2e-2
    srv, cl, params = _one_pair(np.array([delta, 0.0]), np.array([delta, 0.0]))
    q = network_batch(srv, cl, params)["pairs"]  # the protocol optimised (at the largest delta of the batch)
    assert q["intensity_fluctuation"][0, 0] == pytest.approx(delta)
    e_d, p_noise = float(q["e_d"][0, 0]), float(q["p_noise"][0, 0])
    lk = params.link
    kw = {"loss": lk.loss_dB_per_km, "eff": lk.detector_efficiency, "pd": p_noise, "ed": e_d,
          "f": params.protocol.ec_efficiency, "pulses": params.protocol.n_pulses, "aopp": False, "optimize": True,
          "proto_kw": {}, "slice_rad": params.protocol.phase_slice_rad}
    cli = {d: compute([370.0], source_kw={"intensity_fluctuation": d}, **kw)[0]["key_rate_per_pulse"]
           for d in (0.0, delta)}
    assert q["key_rate_per_pulse"][0, 0] == pytest.approx(cli[delta], rel=1e-6)
    loss_net = 1 - q["key_rate_per_pulse"][0, 0] / q["key_rate_per_pulse"][1, 0]
    loss_cli = 1 - cli[delta] / cli[0.0]
    assert 0 < loss_cli < 0.2
    # the network's delta = 0 network is evaluated at the protocol optimised for delta: it can only be lower
    assert loss_net == pytest.approx(loss_cli, abs=2e-3)


def test_discrete_phases_with_dac_error_refused():
    from qchipnet.system.network import network_batch
    from qchipnet.system.snstf import SNSProtocol

    srv, cl, params = _one_pair(np.array([3e-3]), np.array([3e-3]))
    with pytest.raises(InputError, match="phase_slices"):
        network_batch(srv, cl, params, protocols=[SNSProtocol(phase_slices=16)])


def test_levels_match_the_designs_protocols():
    """IM_DAC's levels are mu_1 / mu_max and min(mu_z, mu_2) / mu_max of the default design's 370-km
    protocols optimised with the DAC's own error (a fixed point; within 10 % over the ten slots)."""
    from qchipnet.wafer.evaluate import design_reference

    ref = design_reference()
    lo_lv, hi_lv = sorted(dv.IM_DAC["levels"])
    for p in ref["protocols"]:
        top = max(p["mu_z"], p["mu_2"])
        assert p["mu_1"] / top == pytest.approx(lo_lv, rel=0.1)
        assert min(p["mu_z"], p["mu_2"]) / top == pytest.approx(hi_lv, rel=0.1)
    assert np.all(np.asarray(ref["client"]["im_intensity_error_rel"]) > 1e-3)


def test_single_design_path_carries_the_dies_dac_error_and_cavity_linewidth():
    """``qchipnet network`` (transmitter report -> TransmitterMetrics -> network chain) takes the design's own
    IM level error and free-running linewidth, the numbers the Monte Carlo's evaluator gives its dies: the
    built-in defaults for the built-in design, the evaluated ones for another (short cavity, short PM)."""
    from qchipnet.circuits import devices as dv
    from qchipnet.circuits.transmitter import transmitter_report
    from qchipnet.design import default_design
    from qchipnet.system.devices import TransmitterMetrics
    from qchipnet.system.network import client_arrays

    tx = default_design().transmitter.model_dump()
    t0 = TransmitterMetrics.from_json(transmitter_report(tx, chip_paths=False))
    assert t0.im_intensity_error_rel == pytest.approx(TransmitterMetrics().im_intensity_error_rel, rel=0.01)
    alt = {**tx, "pm_length_um": 1900.0, "dbr_rear_length_um": 150.0, "dbr_gain_length_um": 250.0}
    m = {k: float(np.asarray(v).reshape(-1)[0]) for k, v in dv.transmitter_metrics(alt).items() if k != "reachable"}
    t1 = TransmitterMetrics.from_json(transmitter_report(alt, chip_paths=False))
    assert t1.im_intensity_error_rel == pytest.approx(m["im_intensity_error_rel"], rel=1e-12)
    assert t1.free_running_linewidth_Hz == pytest.approx(m["free_running_linewidth_Hz"], rel=1e-12)
    assert t1.free_running_linewidth_Hz != pytest.approx(t0.free_running_linewidth_Hz, rel=0.05)
    assert client_arrays(t1)["im_intensity_error_rel"][0] == t1.im_intensity_error_rel


def test_protocol_optimised_at_each_pairs_own_fluctuation():
    """``optimize_protocol(..., intensity_fluctuation=array)`` is, element by element, the optimum at that
    element's fluctuation (a protocol whose own bound is that value), and a larger fluctuation never helps."""
    from qchipnet.system.optimize import optimize_protocol
    from qchipnet.system.snstf import SNSProtocol, replace

    eta = np.full(3, 0.7 * 10 ** (-0.2 - 0.16 * 185 / 10))
    pd, ed, d = np.full(3, 1e-8), np.full(3, 0.05), np.array([0.0, 0.005, 0.02])
    res, _ = optimize_protocol(eta, eta, pd, ed, intensity_fluctuation=d)
    for i in range(3):
        one, _ = optimize_protocol(eta[i:i + 1], eta[i:i + 1], pd[i:i + 1], ed[i:i + 1],
                                   replace(SNSProtocol(), intensity_fluctuation=float(d[i])))
        assert res.key_rate[i] == pytest.approx(one.key_rate[0], rel=1e-9)
    assert np.all(np.diff(res.key_rate) < 0)
