"""The client laser's DBR geometry is part of the design, end to end: the ``transmitter.dbr_*`` fields
reach the evaluator (``circuits.devices``), the DBR model (``models.inp.dbr_laser_metrics``) and the
chip's masks, with physics that follows from the geometry and gradients the optimiser can use.

Physical truths checked (physics.md 3.2/3.3): carrier density ~ I / volume (a shorter rear DBR tunes
further and reflects less, R = tanh^2(kappa L)); mode spacing = lambda^2 / (2 n_g L_cav); Bragg
wavelength = 2 n_eff(lambda_B) Lambda.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qchipnet.circuits import devices as dv
from qchipnet.components.floorplan import (
    LASER,
    TX_DBR_DEFAULTS,
    TX_DBR_FIELDS,
    TX_DBR_RANGES,
)
from qchipnet.design import Design, TransmitterChip, parse_design
from qchipnet.models import inp as M
from qchipnet.validate import InputError

#: A transmitter section written before the laser fields existed (the article's laser).
TX_OLD = {"die_width_um": 4600.0, "die_height_um": 2000.0, "pm_length_um": 1500.0, "voa_length_um": 500.0,
          "ridge_width_um": 1.5}
TX0 = Design().transmitter.model_dump()
DBR_KEYS = ("bragg_nm", "dbr_tuning_range_nm", "mode_spacing_nm", "k_c_per_s")
NEW_INPUTS = {"gp_design": "dbr_grating_period_nm", "L_rear": "dbr_rear_length_um", "L_front": "dbr_front_length_um",
              "L_gain": "dbr_gain_length_um", "L_phase": "dbr_phase_length_um"}
Q = 1.602176634e-19


def _metrics(**dbr) -> dict:
    return {k: float(np.asarray(v).reshape(-1)[0]) for k, v in dv.transmitter_metrics({**TX0, **dbr}).items()
            if k != "reachable"}


def test_defaults_are_the_article_laser_and_reproduce_the_sections_without_dbr_fields():
    assert {f: getattr(Design().transmitter, f) for f in TX_DBR_FIELDS} == TX_DBR_DEFAULTS
    assert {TX_DBR_FIELDS[f]: v for f, v in TX_DBR_DEFAULTS.items()} == {k: LASER[k] for k in TX_DBR_FIELDS.values()}
    assert set(TransmitterChip.model_fields) == set(dv.TRANSMITTER_FIELDS)
    new, old = dv.transmitter_metrics(TX0), dv.transmitter_metrics(TX_OLD)
    assert set(new) == set(old)
    for k in new:
        np.testing.assert_array_equal(np.asarray(new[k]), np.asarray(old[k]), err_msg=k)
    # the model's own defaults are the same laser
    las = M.dbr_laser_metrics()
    assert float(las["bragg_nm"]) == pytest.approx(float(new["bragg_nm"][()]), rel=1e-15)
    assert bool(las["lases"]) and bool(las["phase_section_ok"])


def test_inputs_are_exactly_the_physics_kwargs():
    """The lead's gradient path: ``_transmitter_physics(**_transmitter_inputs(...), wl_um=, i_max_mA=, tec_K=)``."""
    import inspect

    x = dv._transmitter_inputs(TX0, None, None)
    params = set(inspect.signature(dv._transmitter_physics).parameters) - {"wl_um", "i_max_mA", "tec_K", "orders"}
    assert set(x) == params
    assert set(NEW_INPUTS) <= set(x)
    for k, field in NEW_INPUTS.items():
        assert float(x[k]) == TX0[field]


def _carrier_density_oracle(current_mA: float, volume_um3: float) -> float:
    """Positive real root of A N + B N^2 + C N^3 = I / (q V) (numpy polynomial roots)."""
    g = current_mA * 1e-3 / (Q * volume_um3 * 1e-18)
    roots = np.roots([M.LASER.C_m6_per_s, M.LASER.B_m3_per_s, M.LASER.A_per_s, -g])
    return float(max(r.real for r in roots if abs(r.imag) < 1e-6 * abs(r) and r.real > 0))


@settings(max_examples=8, deadline=None, derandomize=True)
@given(a=st.floats(*TX_DBR_RANGES["dbr_rear_length_um"]), b=st.floats(*TX_DBR_RANGES["dbr_rear_length_um"]))
def test_shorter_rear_dbr_tunes_further_and_reflects_less(a, b):
    short, long = sorted((a, b))
    if long - short < 1.0:
        return
    ra, rb = (M.dbr_laser_metrics(rear_dbr_um=L) for L in (short, long))
    assert float(ra["current_tuning_nm"]) > float(rb["current_tuning_nm"])
    assert float(ra["r_rear"]) < float(rb["r_rear"])
    # carrier density from I / (q V) of the rear section's volume (width 2 um, core 0.5 um)
    mp = M.mode_params("shallow", width_um=2.0)
    for L, r in ((short, ra), (long, rb)):
        n = _carrier_density_oracle(dv.MAX_TUNING_CURRENT_MA, L * 2.0 * 0.5)
        want = float(r["bragg_nm"]) * float(mp["gamma_core"]) * -M.LASER.dn_dN_m3 * n / float(mp["n_g"])
        assert float(r["current_tuning_nm"]) == pytest.approx(want, rel=1e-9)
        kl = 2 * M.LASER.grating_delta_neff / dv.LAMBDA0_UM * L
        assert float(r["r_rear"]) == pytest.approx(np.tanh(kl) ** 2, rel=1e-12)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(gain=st.floats(*TX_DBR_RANGES["dbr_gain_length_um"]), phase=st.floats(*TX_DBR_RANGES["dbr_phase_length_um"]),
       extra=st.floats(1.0, 200.0))
def test_mode_spacing_is_lambda_squared_over_2_ng_L(gain, phase, extra):
    r = M.dbr_laser_metrics(gain_um=gain, phase_um=phase)
    longer = M.dbr_laser_metrics(gain_um=gain + extra, phase_um=phase)
    assert float(longer["mode_spacing_nm"]) < float(r["mode_spacing_nm"])
    ng = float(M.mode_params("shallow", width_um=2.0)["n_g"])
    leff = sum(float(M.dbr_mirror(L)[1]) for L in (LASER["rear_dbr_length"], LASER["front_dbr_length"]))
    l_cav_nm = (gain + phase + leff) * 1e3
    assert float(r["mode_spacing_nm"]) == pytest.approx(float(r["bragg_nm"]) ** 2 / (2 * ng * l_cav_nm), rel=1e-12)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(period=st.floats(*dv.transmitter_design_ranges()["dbr_grating_period_nm"][:2]))
def test_bragg_wavelength_is_2_neff_period(period):
    lam = float(M.dbr_laser_metrics(grating_period_nm=period)["bragg_nm"])
    mp = M.mode_params("shallow", width_um=2.0, wl_um=lam / 1e3)
    # first-order dispersion about lambda_0: within 0.1 nm (< a fifth of a mode spacing) over the range
    assert lam == pytest.approx(2 * float(mp["n_eff"]) * period, abs=0.1)
    # and the evaluator reads the design's period: d lambda_B / d Lambda = 2 n_eff^2 / n_g
    m = _metrics(dbr_grating_period_nm=period)
    assert m["bragg_nm"] == pytest.approx(lam, rel=1e-12)
    n0, ng = (float(M.mode_params("shallow", width_um=2.0)[k]) for k in ("n_eff", "n_g"))
    assert (m["bragg_nm"] - _metrics()["bragg_nm"]) == pytest.approx(2 * n0**2 / ng * (period - 238.45), abs=0.1)


def test_every_dbr_field_reaches_the_evaluator():
    base = _metrics()
    changes = {"dbr_grating_period_nm": 239.0, "dbr_rear_length_um": 200.0, "dbr_front_length_um": 150.0,
               "dbr_gain_length_um": 500.0, "dbr_phase_length_um": 200.0}
    for field, value in changes.items():
        m = _metrics(**{field: value})
        moved = [k for k in DBR_KEYS if m[k] != base[k]]
        assert moved, field
    # the front mirror sets the output coupling: a longer front DBR reflects more, k_c falls
    assert _metrics(dbr_front_length_um=150.0)["k_c_per_s"] < base["k_c_per_s"]


def test_gradients_match_central_differences():
    import jax
    import jax.numpy as jnp

    dv._x64()
    M.eo_calibration()
    x = {k: jnp.asarray(np.asarray(v, dtype=float).reshape(1))
         for k, v in dv._transmitter_inputs(TX0, None, None).items()}
    names = tuple(NEW_INPUTS)

    @jax.jit
    def f(v):
        kw = {**x, **{n: v[i].reshape(1) for i, n in enumerate(names)}}
        out = dv._transmitter_physics(**kw, wl_um=dv.LAMBDA0_UM, i_max_mA=dv.MAX_TUNING_CURRENT_MA, tec_K=dv.TEC_SPAN_K)
        return jnp.stack([out[k][0] for k in DBR_KEYS])

    v0 = jnp.asarray([float(x[n][0]) for n in names])
    jac = np.asarray(jax.jacrev(f)(v0))  # (metric, field)
    f0 = np.asarray(f(v0))
    assert np.all(np.isfinite(jac))
    steps = np.array([1e-3, 1e-2, 1e-2, 1e-2, 1e-2])  # nm, um
    for j, h in enumerate(steps):
        e = np.zeros(len(names))
        e[j] = h
        fd = (np.asarray(f(v0 + e)) - np.asarray(f(v0 - e))) / (2 * h)
        for i, key in enumerate(DBR_KEYS):
            roundoff = 1e-12 * abs(f0[i]) / h  # of the difference quotient
            assert abs(jac[i, j] - fd[i]) <= 1e-5 * abs(fd[i]) + roundoff, (key, names[j], jac[i, j], fd[i])
    # the physics the gradient carries: Bragg moves with the period only, tuning falls with the rear length,
    # k_c falls with the front mirror, the mode spacing with every cavity length
    assert jac[0, 0] > 0 and np.all(jac[0, 1:] == 0)
    assert jac[1, 1] < 0 and jac[3, 2] < 0 and np.all(jac[2, 1:] < 0)


@pytest.mark.parametrize("data, parts", [
    ({"dbr_grating_period_nm": 231.0}, ["transmitter.dbr_grating_period_nm = 231", "[234.9", "1530-1570 nm"]),
    ({"dbr_grating_period_nm": 260.0}, ["transmitter.dbr_grating_period_nm = 260", "[230, 250] nm"]),
    ({"dbr_rear_length_um": 50.0}, ["transmitter.dbr_rear_length_um = 50", "[100, 800] um"]),
    ({"dbr_front_length_um": 30.0, "dbr_rear_length_um": 100.0, "dbr_gain_length_um": 200.0},
     ["transmitter.dbr_front_length_um = 30", "allowed range [", "threshold", "80 /cm"]),
    ({"dbr_phase_length_um": 50.0, "dbr_front_length_um": 40.0},
     ["transmitter.dbr_front_length_um = 40", "[66, 400] um", "pads"]),
    ({"dbr_rear_length_um": 800.0, "dbr_gain_length_um": 1000.0},
     ["transmitter.die_width_um = 4600", "DBR laser"]),
    ({"dbr_rear_length_mm": 0.3}, ["transmitter.dbr_rear_length_mm", "wrong unit", "dbr_rear_length_um"]),
])
def test_a_laser_that_cannot_be_built_or_cannot_lase_is_refused_in_one_line(data, parts):
    with pytest.raises(InputError) as ei:
        parse_design({"transmitter": data})
    msg = str(ei.value)
    assert "\n" not in msg and len(msg) < 600
    for part in parts:
        assert part in msg, (part, msg)


def test_the_lasing_bound_in_the_message_is_the_threshold():
    """The lower bound the refusal names is where the model starts to lase (the other sections held)."""
    import re

    with pytest.raises(InputError) as ei:
        parse_design({"transmitter": {"dbr_front_length_um": 30.0, "dbr_rear_length_um": 100.0}})
    lo = float(re.search(r"allowed range \[([0-9.]+),", str(ei.value)).group(1))
    kw = {"rear_dbr_um": 100.0}
    assert bool(M.dbr_laser_metrics(front_dbr_um=lo, **kw)["lases"])
    assert not bool(M.dbr_laser_metrics(front_dbr_um=lo - 0.2, **kw)["lases"])
    parse_design({"transmitter": {"dbr_front_length_um": lo, "dbr_rear_length_um": 100.0}})


def test_free_running_linewidth_follows_the_cavity():
    """Modified Schawlow-Townes at a given output power: dnu ~ (Gamma g_th L_gain / L_cav) alpha_m. The
    article's laser keeps its 2 MHz; weaker mirrors and a shorter cavity broaden it by exactly that factor;
    the evaluator hands it to the chain per die."""
    import math

    from qchipnet.models import inp as M

    ref = M.dbr_laser_metrics()
    assert float(ref["linewidth_free_MHz"]) == pytest.approx(M.LASER.linewidth_free_MHz, rel=1e-12)
    kw = {"rear_dbr_um": 160.0, "front_dbr_um": 80.0, "gain_um": 250.0, "phase_um": 60.0}
    short = M.dbr_laser_metrics(**kw)

    def factor(m, gain_um, phase_um, rear_dbr_um, front_dbr_um):
        _, lr, _ = M.dbr_mirror(rear_dbr_um)
        _, lf, _ = M.dbr_mirror(front_dbr_um)
        l_cav = gain_um + phase_um + float(lr) + float(lf)
        a_m = -0.5 * math.log(float(m["r_rear"]) * float(m["r_front"])) / (l_cav * 1e-4)
        return float(m["threshold_gain_per_cm"]) * gain_um / l_cav * a_m

    expect = factor(short, **kw) / factor(ref, 400.0, 150.0, 300.0, 100.0)
    assert expect > 2
    assert float(short["linewidth_free_MHz"]) == pytest.approx(M.LASER.linewidth_free_MHz * expect, rel=1e-9)
    tx = {"dbr_rear_length_um": 160.0, "dbr_front_length_um": 80.0, "dbr_gain_length_um": 250.0,
          "dbr_phase_length_um": 60.0}
    from qchipnet.circuits import devices as dv
    from qchipnet.design import default_design

    t = {**default_design().transmitter.model_dump(), **tx}
    lw = dv.transmitter_metrics(t, keys=("free_running_linewidth_Hz",))["free_running_linewidth_Hz"]
    assert float(np.asarray(lw)) == pytest.approx(float(short["linewidth_free_MHz"]) * 1e6, rel=1e-9)
