"""The relaxed network objective of a design and its gradient (issue 14): design geometry -> every sampled
die -> every pair's key rate -> the expected number of pairs above the PLOB bound per network.

The objective is the network Monte Carlo of :mod:`qchipnet.wafer.network` (``qchipnet yield --platform
network``) on a frozen sample, made smooth and differentiable:

* **Common random numbers.** The process of every drawn die (client wafer positions, wafer, die and
  local variation, defects) is sampled once (:func:`qchipnet.wafer.network._sample_clients`,
  ``_sample_servers``: the very draws of the network study with the same seed) and reused for every
  candidate design, so the objective is a deterministic function of the design and differences between
  candidates are not sampling noise.
* **The same physics.** Client dies go through :func:`qchipnet.circuits.devices._transmitter_physics`
  (pure jax) with the candidate's geometry and each die's process, every EO section with its own
  local mismatch (as :func:`qchipnet.wafer.evaluate.client_dies`); the network chain is
  :func:`qchipnet.system.network.pair_chain` (the function ``network_batch`` uses, here on jax
  arrays); the key rate is :func:`qchipnet.system.snstf.key_rate_jax` at each pair slot's protocol
  (optimised once for the start design, as the Monte Carlo reuses it for every die: at the optimum the
  protocol's own change enters only to second order), with the pair's intensity fluctuation (the DAC
  level error of its chips' IMs, ``circuits.devices.IM_DAC``) differentiated through like every other term.
* **Smooth pass/fail.** Each hard decision of the Monte Carlo is replaced by a logistic sigmoid
  ``s(m / T)`` of its dimensionless margin ``m`` with the temperature ``T`` (:data:`DEFAULT_TEMPERATURE`):
  the DBR set-point window (``reach_margin_K / TEC_SPAN_K``), the set-point's place in the stable
  locking band (``lock_margin``, 1 at the band centre, 0 at an edge), the server's heater range
  (``1 - P_heat / P_heat,max``), its pump (``1 - P_pump / P_pump,max``: the DFB's power limit,
  ``system.comb.CombParams.max_pump_power_mW``), its normal dispersion (``-D2 / |D2_ref|``) and the pair's
  PLOB ratio (``ln(R / PLOB)``). Defects and the adaptable
  circuit's verdict stay discrete (they do not depend on the continuous geometry). As ``T -> 0`` the
  relaxed objective becomes the Monte Carlo's count on the same dies (tested).
* **Gradients.** Transmitter variables: ``jax.value_and_grad`` through the device physics, the chain and
  the key rate. Server-ring variables: the comb surrogate (:func:`qchipnet.system.comb.comb_batch`:
  resampled LLE tables, scipy's sine/cosine integrals in the thermorefractive floor, a 2-D thermal
  Green's function for the heater) is numpy, so their partials are central differences of the same
  relaxed objective with the same dies (step :data:`RING_FD_STEP` of each variable's range).

Objectives (:data:`OBJECTIVES`): ``pairs_above_plob`` (default) and ``sum_key_rate``.

Variables (:func:`design_variables`): the transmitter's phase-modulator length (the IM arms use the same
section), its ridge width and the DBR laser's grating period and section lengths; the server ring's
width, gap and bus width, with the radius re-solved so that the nominal FSR stays the start design's
(the comb grid is fixed by the network's lines). Not variables: the VOA length (no term of the
network model depends on it: the reference launch power assumes the attenuation range, see
``system.link.launch_powers_mW``), the film thickness (a process choice, not a layout one), die sizes
and the MMI geometry (the MMI table is built for the cell's one geometry).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..design.model import WIDTH_GRID_UM
from ..validate import InputError, check_range

__all__ = ["OBJECTIVES", "DEFAULT_TEMPERATURE", "RING_FD_STEP", "Problem", "make_problem", "design_variables",
           "hard_objective"]

#: Objective name -> definition.
OBJECTIVES = {
    "pairs_above_plob": ("expected number of pairs per sampled network whose finite-size key rate beats the PLOB "
                         "bound at the study distance (all pair slots of the design)"),
    "sum_key_rate": ("expected sum over the pairs of a sampled network of the finite-size key rate, in 1e-9 bits "
                     "per pulse (a pair that does not lock contributes 0)"),
}
#: Default temperature of the sigmoid relaxations (dimensionless margins: 0.05 = 0.75 K of the 15-K TEC
#: window, 5 % of the PLOB ratio, 5 % of the locking half-band). Small enough that the relaxed value is
#: within a few per cent of the Monte Carlo count, large enough that ~100 networks give a usable gradient.
DEFAULT_TEMPERATURE = 0.05
#: Central-difference step of the server-ring variables, as a fraction of each variable's range.
RING_FD_STEP = 2e-3
#: Scale of the sum_key_rate objective (bits per pulse -> 1e-9 bits per pulse).
KEY_RATE_UNIT = 1e9
#: e_d terms made by the chips (``system.chain.error_terms``); zero in :meth:`Problem.ceiling`.
CHIP_TERMS = ("im_extinction", "pm_encoding", "injection_residual")

#: Transmitter design fields -> keyword of ``circuits.devices._transmitter_physics``.
_TX_INPUT = {"pm_length_um": "L_pm", "ridge_width_um": "ridge", "dbr_grating_period_nm": "gp_design",
             "dbr_rear_length_um": "L_rear", "dbr_front_length_um": "L_front", "dbr_gain_length_um": "L_gain",
             "dbr_phase_length_um": "L_phase"}
_RING_VARS = ("width_um", "gap_um", "bus_width_um")
#: Variables on the mask grid (design.model.WIDTH_GRID_UM).
GRID_FIELDS = ("server_ring.width_um", "server_ring.bus_width_um", "transmitter.ridge_width_um")
def _rows() -> dict[str, tuple[int, ...]]:
    """Rows of a client die the objective evaluates: IM I-III driven on arm a and the PM (the rows of
    ``wafer.evaluate.client_dies``, ``SECTION_INSTANCES``), then IM I-III driven on arm b (its EO sections,
    ``ARM_B_EO_INSTANCES``; same splitter and arm imbalance): the local-mismatch instance of each row."""
    from ..wafer.evaluate import ARM_B_EO_INSTANCES, SECTION_INSTANCES

    return {k: tuple(v) + (ARM_B_EO_INSTANCES if k == "eo_coefficient_ln" else tuple(v[:3]))
            for k, v in SECTION_INSTANCES.items()}


def design_variables(design) -> list[tuple[str, str]]:
    """(section, field) of the continuous variables of ``design`` the objective differentiates."""
    from ..circuits import devices as dv

    probe = dv._transmitter_inputs(design.transmitter.model_dump(), None, None)
    tx = [("transmitter", f) for f, k in _TX_INPUT.items() if k in probe and f in design.transmitter.model_fields]
    return tx + [("server_ring", f) for f in _RING_VARS]


def _bounds(design, process: dict, names) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Bounds of each variable: the tighter of the schema's range and the models' design range (which
    keeps every die of the process within the models' domain)."""
    from ..circuits import devices as dv

    ranges = {"transmitter": dv.transmitter_design_ranges(process["inp"]),
              "server_ring": dv.ring_design_ranges(process["sin"])}
    lo, hi, why = [], [], []
    for sec, f in names:
        model = type(getattr(design, sec))
        meta = model.model_fields[f].metadata
        s_lo = max([getattr(m, "ge", None) or getattr(m, "gt", None) or -math.inf for m in meta] + [-math.inf])
        s_hi = min([getattr(m, "le", None) or getattr(m, "lt", None) or math.inf for m in meta] + [math.inf])
        r = ranges[sec].get(f)
        a, b = (max(s_lo, r[0]), min(s_hi, r[1])) if r else (s_lo, s_hi)
        if not (math.isfinite(a) and math.isfinite(b)) or a >= b:
            raise InputError(f"{sec}.{f}: no finite design range to optimise over ([{a:g}, {b:g}])")
        lo.append(a)
        hi.append(b)
        why.append(r[2] if r else "design schema")
    return np.array(lo, float), np.array(hi, float), why


def _sigmoid(x):
    import jax.numpy as jnp

    return 0.5 * (1 + jnp.tanh(0.5 * x))


@dataclass
class Problem:
    """One relaxed objective with frozen common random numbers (:func:`make_problem`)."""

    names: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    x0: np.ndarray
    objective_name: str
    temperature: float
    networks: int
    seed: int
    distance_km: float
    bound_reasons: tuple[str, ...] = ()
    _ctx: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ public
    @property
    def jax_mask(self) -> np.ndarray:
        """True for the variables whose partial derivative is jax's (the transmitter's), False for those
        taken by central differences (the server ring's)."""
        m = np.zeros(len(self.names), bool)
        m[self._ctx["tx_idx"]] = True
        return m

    def value_and_grad(self, x) -> tuple[float, np.ndarray]:
        """The relaxed objective at ``x`` (to maximise) and its gradient (jax for the transmitter
        variables, central differences for the ring variables)."""
        x = self._check(x)
        srv = self._server(x)
        v, g_tx = self._ctx["vg"](self._tx_args(x), srv, self.temperature, False)
        g = np.zeros(len(self.names))
        g[self._ctx["tx_idx"]] = np.asarray(g_tx, float)
        for i in self._ctx["ring_idx"]:
            # the step spans several mask-grid points; the difference is taken between the snapped designs
            h = max(RING_FD_STEP * (self.upper[i] - self.lower[i]), 4 * WIDTH_GRID_UM)
            xp, xm = x.copy(), x.copy()
            xp[i] = min(x[i] + h, self.upper[i])
            xm[i] = max(x[i] - h, self.lower[i])
            xp, xm = self.snap(xp), self.snap(xm)
            # one-sided where a step leaves the valid designs (e.g. a bus that would be wider than the ring)
            ok_p, ok_m = self.feasible(xp) is None, self.feasible(xm) is None
            if not (ok_p or ok_m):
                continue
            xs = self.snap(x)
            hi, lo = (xp if ok_p else xs), (xm if ok_m else xs)
            if hi[i] != lo[i]:
                g[i] = ((self._f(hi) if ok_p else v) - (self._f(lo) if ok_m else v)) / (hi[i] - lo[i])
        return float(v), g

    def value(self, x) -> float:
        """The relaxed objective at ``x``."""
        return self._f(self._check(x))

    def snap(self, x) -> np.ndarray:
        """``x`` as :meth:`to_design` writes it: guide widths on the 2-nm grid (``design.model.WIDTH_GRID_UM``:
        both edges of a centred guide on the 1-nm mask grid), other lengths on the 1-nm grid."""
        x = np.clip(np.array(x, dtype=float), self.lower, self.upper)
        for i, n in enumerate(self.names):
            # guide widths on the 2-nm grid, other lengths and gaps on the 1-nm mask grid, the grating period
            # to 0.1 pm (its 1-nm-grid teeth average to it); rounded inwards at a bound
            step = WIDTH_GRID_UM if n in GRID_FIELDS else 1e-3 if n.endswith("_um") else 1e-4
            k = round(x[i] / step)
            k = max(k, math.ceil(self.lower[i] / step - 1e-9))
            k = min(k, math.floor(self.upper[i] / step + 1e-9))
            x[i] = round(k * step, 6)
        return x

    def to_design(self, x):
        """The validated design with ``x`` applied (guide widths snapped to the mask grid, :meth:`snap`)
        and the ring radius re-solved for the start FSR."""
        from ..design import parse_design

        x = self.snap(x)
        d = self._ctx["design"].model_dump(mode="json")
        for (sec, f), v in zip(self._ctx["vars"], x):
            d[sec][f] = float(v)
        if self._ctx["ring_idx"]:
            d["server_ring"]["radius_um"] = _radius_for_fsr(d["server_ring"], self._ctx["fsr0_GHz"],
                                                            self._ctx["process"]["sin"])
        return parse_design(d, source="optimised design")

    def feasible(self, x) -> str | None:
        """None if ``x`` gives a valid design, else the one-line reason."""
        x = np.asarray(x, float)
        for n, v, lo, hi in zip(self.names, x, self.lower, self.upper):
            if not (lo <= v <= hi):
                return f"{n} = {v:g} is outside [{lo:g}, {hi:g}]"
        try:
            self.to_design(x)
        except InputError as e:
            return str(e)
        except ValueError as e:  # pydantic ValidationError
            return str(e).splitlines()[0] if str(e) else type(e).__name__
        return None

    # ------------------------------------------------------------------ internals
    def _check(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float).reshape(-1)
        if x.shape != (len(self.names),) or not np.all(np.isfinite(x)):
            raise InputError(f"x: need {len(self.names)} finite values ({', '.join(self.names)})")
        return np.clip(x, self.lower, self.upper)

    def _tx_args(self, x):
        import jax.numpy as jnp

        return jnp.asarray(x[self._ctx["tx_idx"]])

    def _f(self, x, ceiling: bool = False) -> float:
        return float(self._ctx["f"](self._tx_args(x), self._server(x), self.temperature, ceiling))

    def ceiling(self, x=None) -> float:
        """The objective the same networks would reach with perfect chips: every pair locked and every
        chip-made error term (not-sending extinction, PM encoding, locking residual) zero; link, detectors,
        phase tracking and the calibrated mode mismatch as they are. No chip design can exceed it."""
        return self._f(self._check(self.x0 if x is None else x), ceiling=True)

    def _server(self, x) -> dict:
        x = self.snap(x)
        key = (*np.round(x[self._ctx["ring_idx"]], 12), self.temperature)
        cache = self._ctx["server_cache"]
        if key not in cache:
            if len(cache) > 64:
                cache.clear()
            cache[key] = _server_block(self, x)
        return cache[key]


def _radius_for_fsr(ring: dict, fsr_GHz: float, process) -> float:
    """Radius at which the nominal ring of this cross-section has the FSR ``fsr_GHz`` (fixed point of
    R <- R FSR(R) / FSR_target: n_g depends on R only through the coupler, a few iterations)."""
    from ..circuits import devices as dv

    r = dict(ring)
    for _ in range(4):
        f = float(np.asarray(dv.ring_metrics(r, process=process)["fsr_GHz"]))
        r["radius_um"] = r["radius_um"] * f / fsr_GHz
    return round(float(r["radius_um"]), 4)


def _server_block(prob: Problem, x) -> dict:
    """The numpy part: every sampled server die of the candidate ring -> its comb and its smooth pass."""
    from ..system.network import SERVER_KEYS, _comb
    from ..wafer.evaluate import server_dies

    c = prob._ctx
    d = prob.to_design(x) if c["ring_idx"] else c["design"]
    sv = server_dies(c["ps"], c["ds"], d, c["process"]["sin"])
    sch = sv["_chain"]
    comb = _comb({k: sch[k] for k in (*SERVER_KEYS, "width_um", "thickness_nm")}, c["params"])
    # smooth server pass: comb existence and defects discrete; heater range and normal dispersion (D2 < 0) smooth
    heat = 1 - np.asarray(comb["heater_power_mW"], float) / np.asarray(comb["heater_max_power_mW"], float)
    pump = 1 - np.asarray(comb["pump_power_mW"], float) / c["params"].comb.max_pump_power_mW
    exists = np.asarray(comb["comb_exists"], bool) | ~np.asarray(comb["pump_in_range"], bool)  # pump: smooth
    hard = exists & (np.asarray(sch["n_defects"]) == 0)
    d2 = -np.asarray(sch["D2_over_2pi_kHz"], float) / max(abs(c["D2_scale_kHz"]), 1e-12)
    t = prob.temperature

    def sig(m):
        return 0.5 * (1 + np.tanh(0.5 * m / t))

    soft = hard * sig(heat) * sig(d2) * sig(pump)
    hard_ok = hard & (heat >= 0) & (d2 > 0) & (pump >= 0)
    keep = ("fsr_GHz", "D2_over_2pi_kHz")
    return {"srv": {k: np.asarray(sch[k], float) for k in keep},
            "comb": {k: np.asarray(comb[k], float) for k in ("pump_nm", "line_power_mW", "linewidth_Hz")},
            "soft": soft, "hard": hard_ok}


def _client_rows(pc: dict, process, design) -> dict[str, np.ndarray]:
    """Process inputs of every client die, local mismatch per evaluated row (7 rows), clipped to the
    models' domain at the start design (as ``wafer.evaluate.client_dies``)."""
    from ..circuits import devices as dv

    tx = design.transmitter.model_dump()
    n = next(iter(pc.values())).shape[0]
    raw = {k: np.asarray(pc[k], dtype=float).reshape(n, -1) - process[k].nominal for k in dv.INP_OFFSETS}
    inst = _rows()
    rows = {k: (v[:, np.minimum(np.array(inst[k]), v.shape[1] - 1)] if k in inst else v[:, :1])
            for k, v in raw.items()}
    off, _ = dv.domain_clip("inp", tx, rows, process)
    off = {k: (v if k in inst else v[:, 0]) for k, v in off.items()}
    x = dv._transmitter_inputs(tx, off, process)
    sec = ("mw", "arm_dB", "eo_ln")
    # rows on the leading axis (the layout transmitter_metrics uses), dies on the trailing one
    out = {}
    for k, v in x.items():
        v = np.asarray(v, float)
        out[k] = v if v.ndim == 0 else (np.ascontiguousarray(v.T) if k in sec else v[None, :])
    return out


def make_problem(design=None, *, objective: str = "pairs_above_plob", distance_km: float = 370.0, networks: int = 64,
                 seed: int = 1, temperature: float | None = None, process_path: str | None = None) -> Problem:
    """The relaxed objective of ``design`` on ``networks`` sampled networks (common random numbers of
    seed ``seed``: the draws of ``qchipnet yield --platform network --seed``)."""
    import jax

    from ..circuits import devices as dv
    from ..design import Design, default_design, network_params, parse_design
    from ..models import inp as M
    from ..system.network import MAX_INTENSITY_FLUCTUATION, pair_chain
    from ..system.snstf import key_rate_jax, protocol_params
    from ..wafer.evaluate import client_constants, design_reference, reference_protocols
    from ..wafer.network import _sample_clients, _sample_servers, make_network_study

    if objective not in OBJECTIVES:
        raise InputError(f"objective = {objective!r} is not one of {sorted(OBJECTIVES)}")
    check_range("networks", networks, 1, 100_000)
    temp = DEFAULT_TEMPERATURE if temperature is None else float(temperature)
    check_range("temperature", temp, 1e-4, 1.0)
    if design is None:
        design = default_design()
    elif not isinstance(design, Design):
        design = parse_design(design, source="design")
    study = make_network_study(networks, seed, design=design, distance_km=distance_km, process_path=process_path)
    process = study.process
    params = network_params(design)
    pairs = [p.model_copy(update={"distance_km": float(distance_km)}) for p in params.pairs]
    n_p = len(pairs)
    n_seats = 2 * n_p
    nets = range(networks)
    pc, dc, _ = _sample_clients(study, nets, n_seats)
    ps, ds, _ = _sample_servers(study, nets)
    ref = design_reference(study.design, process, distance_km=float(distance_km))
    protos = [protocol_params(p) for p in reference_protocols(ref)]
    proto_arrays = {k: np.array([float(p[k]) for p in protos]) for k in protos[0]}
    if np.any(proto_arrays.get("phase_slices", 0.0) > 0):
        raise InputError("protocol: the design optimiser supports continuous phase randomisation only")

    variables = design_variables(design)
    names = tuple(f"{s}.{f}" for s, f in variables)
    lower, upper, why = _bounds(design, process, variables)
    x0 = np.array([float(getattr(getattr(design, s), f)) for s, f in variables])
    tx_idx = [i for i, (s, _) in enumerate(variables) if s == "transmitter"]
    ring_idx = [i for i, (s, _) in enumerate(variables) if s == "server_ring"]
    tx_keys = [_TX_INPUT[variables[i][1]] for i in tx_idx]

    rows = _client_rows(pc, process["inp"], design)
    n_dies = networks * n_seats
    failed = np.asarray(dc.get("pm_failure_devices", np.zeros((n_dies, 7))), bool).reshape(n_dies, 7)
    const = client_constants((networks, n_seats))
    M.eo_calibration()
    dv._x64()
    tec = dv.TEC_SPAN_K
    comb_lines = np.arange(-5, 9)  # system.network._comb's lines (comb_batch's default)

    def relaxed(z, block, t, ceiling: bool):
        import jax.numpy as jnp

        from ..system.phase import combine_error_arrays

        inputs = dict(rows)
        for k, v in zip(tx_keys, z):
            inputs[k] = v
        m = dv._transmitter_physics(**inputs, wl_um=dv.LAMBDA0_UM, i_max_mA=dv.MAX_TUNING_CURRENT_MA, tec_K=tec)
        row = lambda k: jnp.broadcast_to(m[k], (7, n_dies))
        vis = row("im_visibility_dB")
        vis = jnp.stack([vis[0:3].T, vis[4:7].T], axis=-1)  # (dies, 3, 2)
        pm_top, pm_err = row("pm_max_phase_rad")[3], row("pm_phase_error_rad")[3]
        pm_usable = pm_top >= 1.5 * jnp.pi
        sec_failed = jnp.asarray(failed) | jnp.concatenate([jnp.zeros((n_dies, 6), bool), (~pm_usable)[:, None]], 1)
        die = lambda k: jnp.broadcast_to(m[k], (1, n_dies))[0].reshape(networks, n_seats)
        cl = {"im_visibility_dB": vis.reshape(networks, n_seats, 3, 2),
              "section_failed": sec_failed.reshape(networks, n_seats, 7),
              "pm_phase_error_rad": jnp.nan_to_num(pm_err, nan=0.0).reshape(networks, n_seats),
              # the DAC level error of each IM on arm a (differentiable; unreachable levels count 0)
              "im_intensity_error_rel": jnp.nan_to_num(row("im_intensity_error_rel")[0:3].T, nan=0.0).reshape(
                  networks, n_seats, 3),
              **{k: die(k) for k in ("bragg_nm", "dbr_tuning_range_nm", "dbr_tec_window_nm", "mode_spacing_nm",
                                      "k_c_per_s", "free_running_linewidth_Hz")}, **const}
        comb = {**block["comb"], "lines": comb_lines}
        ch = pair_chain(block["srv"], comb, cl, params, pairs, server_ok=block["hard"])
        terms = ch["terms"]
        if ceiling:  # perfect chips: the chip-made error terms vanish
            terms = {k: (jnp.zeros_like(v) if k in CHIP_TERMS else v) for k, v in terms.items()}
        e_d = jnp.minimum(combine_error_arrays(terms), 0.499)
        a, b = ch["a"], ch["b"]
        soft = (_sigmoid(a["setpoint"]["reach_margin_K"] / tec / t) * _sigmoid(b["setpoint"]["reach_margin_K"] / tec / t)
                * _sigmoid(a["lock"]["lock_margin"] / t) * _sigmoid(b["lock"]["lock_margin"] / t)
                * a["circuit"]["executable"] * b["circuit"]["executable"] * block["soft"][:, None])  # (N, P)
        if ceiling:
            soft = jnp.ones_like(soft)
        eta = jnp.broadcast_to(jnp.asarray(ch["eta_arm"]), (networks, n_p))  # as if locked: the soft factor gates
        # every slot at its own protocol in one engine call (protocol values broadcast over the slots); the pair's
        # decoy analysis takes its chips' DAC level error as the intensity fluctuation (none for perfect chips)
        dac = jnp.zeros((networks, n_p)) if ceiling else ch["intensity_fluctuation"]
        fluct = jnp.minimum(proto_arrays["intensity_fluctuation"] + dac, MAX_INTENSITY_FLUCTUATION)
        kr = key_rate_jax(eta, eta, jnp.asarray(ch["p_noise"]), e_d, {**proto_arrays, "intensity_fluctuation": fluct},
                          leaky_vacuum=True)
        if objective == "pairs_above_plob":
            total = jnp.sum(soft * _sigmoid(jnp.log(jnp.maximum(kr, 1e-300) / ch["plob_per_pulse"]) / t), axis=1)
        else:
            total = jnp.sum(soft * jnp.maximum(kr, 0.0), axis=1) * KEY_RATE_UNIT
        return jnp.mean(total)

    f = jax.jit(relaxed, static_argnums=3)
    vg = jax.jit(jax.value_and_grad(relaxed), static_argnums=3)
    r0 = dv.ring_metrics(design.server_ring.model_dump(), process=process["sin"])
    prob = Problem(names=names, lower=lower, upper=upper, x0=x0, objective_name=objective, temperature=temp,
                   networks=int(networks), seed=int(seed), distance_km=float(distance_km), bound_reasons=tuple(why))
    prob._ctx.update({"design": design, "process": process, "params": params, "vars": variables, "ps": ps, "ds": ds,
                      "tx_idx": tx_idx, "ring_idx": ring_idx, "f": f, "vg": vg, "server_cache": {},
                      "fsr0_GHz": float(np.asarray(r0["fsr_GHz"])),
                      "D2_scale_kHz": float(np.asarray(r0["D2_over_2pi_kHz"]))})
    return prob


def hard_objective(prob: Problem, x) -> float:
    """The Monte Carlo's own (unrelaxed) objective on the problem's dies: the network study
    (:func:`qchipnet.wafer.network.evaluate_networks`) of the design ``x`` with the problem's seed and
    networks, the protocols re-optimised for that design."""
    from ..wafer.network import evaluate_networks, make_network_study

    d = prob.to_design(x)
    study = make_network_study(prob.networks, prob.seed, design=d, distance_km=prob.distance_km)
    pairs, nets, _ = evaluate_networks(study, 0, prob.networks)
    if prob.objective_name == "pairs_above_plob":
        return float(nets["pairs_above_plob"].mean())
    kr = np.where(pairs["locked"] > 0, pairs["key_rate_per_pulse"], 0.0)
    return float(kr.sum() / prob.networks * KEY_RATE_UNIT)
