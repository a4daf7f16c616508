"""Process sensitivity analysis: which process parameters drive the yield and the key rate of a design.

Four answers from one die model and the yield engine's own evaluators (``wafer.evaluate.EVALUATORS``:
device metrics -> network chain -> key rate at 370 km, pass/fail by the study's spec):

1. **Gradients** of the die yield and of the mean key-rate ratio to PLOB with respect to every process
   parameter's mean and sigma: pathwise central differences with common random numbers (Glasserman,
   *Monte Carlo Methods in Financial Engineering* (2004), sections 4.2 and 7.1-7.2): every die keeps its
   standard-normal draws z, the parameter is ``mean + sigma z``, so ``d/d mean`` and ``d/d sigma`` are
   differences of the same dies. Pass/fail is smoothed by a sigmoid of the spec margin,
   ``1 / (1 + exp(-margin / T))``, with the temperature ``T`` a stated fraction
   (:data:`SMOOTH_FRACTION`) of the margin's die-to-die standard deviation; limits on flags and counts
   (locked, executable, defects: no margin exists) stay indicators and are differentiated by the common
   draws alone. The metric chain is numpy (``system.network.network_batch``), so no ``jax.grad``.
   Normalised: d yield per +1 sigma shift of the mean, d yield per +10 % of sigma.
2. **Sobol indices** (first order S1 and total ST) of the die pass indicator and of the key-rate ratio to
   PLOB with respect to the process parameters (each a group of its die-shared and die-local draws),
   conditional on no catastrophic defect (defects are not process parameters; the yield they cost is
   reported beside, ``yield_without_defects``): Saltelli's sampling scheme on a scrambled Sobol' sequence and
   the Saltelli 2010 / Jansen estimators with bootstrap confidence intervals, from SALib 1.6
   (Herman & Usher, JOSS 2, 97 (2017); Iwanaga, Usher & Herman, Socio-Environ. Syst. Model. 4, 18155
   (2022); Saltelli et al., Comput. Phys. Commun. 181, 259 (2010); Sobol', Math. Comput. Simul. 55, 271
   (2001)), evaluated in one batch through the same evaluators.
3. **Corners**: the +-3 sigma combinations (2^k) of the k dominant parameters, the others at nominal, no
   defect: metrics and pass/fail of each corner die.
4. **Tolerance**: for a target yield, the factor by which each parameter's sigma (all its levels, one
   parameter at a time, then all of them together) must shrink for the study's yield to reach the target:
   bisection on the sigma scale with common random numbers, or "not reachable by this sigma alone".

Die model (:class:`DieModel`): dies are independent; parameter p of a die is
``nominal + sigma_shared z_s + sigma_local z_l[k]`` with ``sigma_shared^2 = sigma_wafer^2 +
sigma_within_wafer^2 (1 - radial_fraction (1 - <12 rho^2>))`` (the levels shared by the k instances of p on
one die, e.g. the six MMIs of a transmitter; ``<12 rho^2>`` the radial profile's variance factor averaged
over the wafer plan's dies, 0.76 for both default plans, where the disc average is 1) and one ``z_l`` per
instance (``wafer.variation.INSTANCES``); defects are Bernoulli per device with the PDK's ``p_fail``
(``wafer.variation.DEVICES_PER_DIE``). This is the Gaussian with the variance of one die of the study's
hierarchical model (``wafer.variation``; Bogaerts, Xing & Khan, IEEE JSTQE 25, 6100413 (2019)), averaged
over the plan's die positions (the engine's die is a mixture over positions of Gaussians whose radial
variance differs; the mixture's slightly heavier tails are neglected). A study's expected yield depends
only on the dies' marginals: the wafer correlation widens its confidence interval, not its mean. In a ``pair`` unit the two
client dies are neighbours on one wafer and share ``z_s`` (correlation of the within-wafer field over one
die pitch > 0.9 for the correlation lengths of ``pdk/inp/process.py``); the server die is independent.
Only the parameters the evaluators read (``circuits.devices.INP_OFFSETS`` / ``SIN_OFFSETS``) are factors.

Platforms: ``inp`` (transmitter dies, each client A of the design's first pair with a nominal partner and
server), ``sin`` (server dies; the key-rate ratio is that of the die serving a pair of nominal clients) and
``pair`` (two client dies and one server die in the first pair's slot at 370 km). The network objective
(expected pairs above PLOB per network of 1 server + 20 client dies) is not differentiated here: a
network study costs 21 dies per sample and the chain differs per slot; the ``pair`` yield (pair above
PLOB at 370 km) is the per-slot objective that the network's expected count sums over slots.
Validity: small perturbations around the PDK's process (the evaluators' domain is +-4 total sigma,
``circuits.devices.DESIGN_MARGIN_SIGMA``; dies beyond it are clipped there and flagged).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..validate import InputError, check_range

__all__ = ["CORNER_SIGMA", "MEAN_STEP_SIGMA", "SENSITIVITY_PLATFORMS", "SIGMA_STEP_REL", "SMOOTH_FRACTION",
           "DieModel", "Factor", "SensitivityConfig", "Variable", "make_sensitivity", "run_sensitivity",
           "sobol_indices", "study_yield"]

SENSITIVITY_PLATFORMS = ("inp", "sin", "pair")
#: Mean step of the central differences, in units of the parameter's total sigma.
MEAN_STEP_SIGMA = 0.25
#: Relative sigma step of the central differences (the result is per +10 % of sigma).
SIGMA_STEP_REL = 0.10
#: Sigmoid temperature of a continuous spec limit, as a fraction of the die-to-die standard deviation of
#: its margin at the nominal process: small enough that the smoothed yield stays within about
#: SMOOTH_FRACTION^2 of the indicator yield, large enough that a 0.25-sigma step moves many dies.
SMOOTH_FRACTION = 0.1
#: Corner offset, in total sigmas of each dominant parameter.
CORNER_SIGMA = 3.0
#: Bisection steps of the tolerance answer (resolution 2^-8 of the sigma scale).
TOLERANCE_STEPS = 8
#: Metrics whose spec margin is taken on a log10 scale (they span decades; 0 = no key).
LOG_METRICS = ("key_rate_per_pulse", "ratio_to_plob")
#: Name of the continuous objective (Sobol and gradients): the key-rate ratio to the PLOB bound at 370 km.
OBJECTIVE = "ratio_to_plob"
#: Fixed evaluator batch per platform (units per call, the last one padded): one compiled program per
#: device family (transmitters 4096, rings 2048) whatever the number of dies.
_CHUNK = {"inp": 4096, "sin": 2048, "pair": 2048}
#: Stream tags of the die draws (independent of the yield engine's wafer streams).
_DRAW_STREAM = 1403
_SOBOL_STREAM = 1404


# ----------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class SensitivityConfig:
    """Everything that defines a sensitivity run's result."""

    platform: str
    dies: int
    seed: int
    target_yield: float
    corners_k: int
    study: object  # wafer.engine.StudyConfig: spec, process data, design
    design_path: str | None = None


def make_sensitivity(platform: str = "inp", dies: int = 2000, seed: int = 1, target_yield: float = 0.9,
                     corners_k: int = 3, design=None, design_path: str | None = None,
                     names: dict[str, str] | None = None) -> SensitivityConfig:
    """Validate the user's choices (one line naming the option, before any computation) and build a
    :class:`SensitivityConfig`. ``names`` maps the argument names to the user's option names."""
    from ..wafer.engine import make_config

    nm = {"platform": "platform", "dies": "dies", "seed": "seed", "target_yield": "target_yield",
          "corners_k": "corners_k", **(names or {})}
    if platform not in SENSITIVITY_PLATFORMS:
        raise InputError(f"{nm['platform']} = {platform!r} is not a sensitivity platform; choose one of "
                         f"{list(SENSITIVITY_PLATFORMS)}")
    check_range(nm["dies"], dies, 16, 100_000)
    check_range(nm["seed"], seed, 0, 2**63 - 1)
    check_range(nm["target_yield"], target_yield, 0.0, 1.0, lo_open=True, hi_open=True)
    check_range(nm["corners_k"], corners_k, 1, 6)
    study = make_config(platform, 1, 0, design=design)
    cfg = SensitivityConfig(platform=platform, dies=int(dies), seed=int(seed), target_yield=float(target_yield),
                            corners_k=int(corners_k), study=study, design_path=design_path)
    n_f = len(DieModel(cfg).factors)
    if corners_k > n_f:
        raise InputError(f"{nm['corners_k']} = {corners_k} is outside the allowed range [1, {n_f}] (the "
                         f"{platform!r} study has {n_f} process parameters)")
    return cfg


# ----------------------------------------------------------------------------- die model
@dataclass(frozen=True)
class Factor:
    """One process parameter of the study (a Sobol group, a gradient direction)."""

    name: str  # the parameter name, or "<platform>.<name>" in a pair study
    platform: str
    param: str
    unit: str
    nominal: float
    sigma_wafer: float
    sigma_within_wafer: float  # plan-averaged (radial profile at the plan's dies)
    sigma_local: float  # per instance (die-local mismatch)
    instances: int  # per die
    dies_per_unit: int  # dies of this platform in one unit (2 clients of a pair)

    @property
    def sigma_shared(self) -> float:
        """Wafer and within-wafer levels: shared by the instances of the parameter on one die."""
        return math.hypot(self.sigma_wafer, self.sigma_within_wafer)

    @property
    def sigma_total(self) -> float:
        return math.hypot(self.sigma_shared, self.sigma_local)


@dataclass
class Draws:
    """Independent random inputs of ``n`` units: die-shared normals (n, F), die-local normals per factor
    (n, dies_per_unit, instances), defect uniforms per (platform, defect) (n, dies_per_unit, devices)."""

    z_shared: np.ndarray
    z_local: list[np.ndarray]
    u: dict[tuple[str, str], np.ndarray]

    @property
    def n(self) -> int:
        return self.z_shared.shape[0]


@dataclass
class Settings:
    """Process settings (S of them): mean shift in the parameter's unit, scale of sigma_shared and of
    sigma_local, per factor, each (S, F)."""

    shift: np.ndarray
    scale_shared: np.ndarray
    scale_local: np.ndarray

    @classmethod
    def nominal(cls, s: int, f: int) -> Settings:
        return cls(np.zeros((s, f)), np.ones((s, f)), np.ones((s, f)))

    @classmethod
    def stack(cls, parts: list[Settings]) -> Settings:
        return cls(*(np.concatenate([getattr(p, k) for p in parts]) for k in ("shift", "scale_shared", "scale_local")))

    def __len__(self) -> int:
        return self.shift.shape[0]


@dataclass
class Outputs:
    """Per evaluated unit: the spec's metric values, the pass of every limit, the objective."""

    metrics: dict[str, np.ndarray]
    limit_pass: dict[str, np.ndarray]
    objective: np.ndarray
    passes: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.passes = np.logical_and.reduce(list(self.limit_pass.values()))


class DieModel:
    """The study's factors, its random inputs and the batched evaluation of units through
    ``wafer.evaluate.EVALUATORS`` (see the module docstring for the model)."""

    def __init__(self, cfg: SensitivityConfig):
        from ..circuits import devices as dv
        from ..wafer.variation import DEVICES_PER_DIE, INSTANCES

        self.cfg = cfg
        st = cfg.study
        self.platform = cfg.platform
        plats = ("inp", "sin") if cfg.platform == "pair" else (cfg.platform,)
        read = {"inp": dv.INP_OFFSETS, "sin": dv.SIN_OFFSETS}
        self.factors: list[Factor] = []
        self.unused: list[str] = []
        for plat in plats:
            proc = st.process[plat]
            per_unit = 2 if (cfg.platform == "pair" and plat == "inp") else 1
            plan = st.plan(plat)
            rho = (plan.positions_mm() ** 2).sum(axis=1) / (plan.wafer_diameter_mm / 2) ** 2 - 0.5
            radial = float(np.mean(12.0 * rho**2))  # the radial profile's variance at the plan's dies / disc mean
            for name in sorted(proc.parameters):
                p = proc.parameters[name]
                label = f"{plat}.{name}" if cfg.platform == "pair" else name
                if name not in read[plat]:
                    self.unused.append(label)
                    continue
                s_ww2 = p.sigma_within_wafer**2 * (1.0 - p.radial_fraction * (1.0 - radial))
                self.factors.append(Factor(label, plat, name, p.unit, float(p.nominal), float(p.sigma_wafer),
                                           math.sqrt(s_ww2), float(p.sigma_local),
                                           INSTANCES.get(plat, {}).get(name, 1), per_unit))
        self.defects: list[tuple[str, str, float, int, int]] = []  # (platform, name, p_fail, devices, dies/unit)
        for plat in plats:
            per_unit = 2 if (cfg.platform == "pair" and plat == "inp") else 1
            for name, d in sorted(st.process[plat].defects.items()):
                self.defects.append((plat, name, float(d.p_fail), DEVICES_PER_DIE.get(plat, {}).get(name, 1),
                                     per_unit))
        self.evaluations = 0

    # -- random inputs
    def draws(self, n: int, seed: int, stream: int = _DRAW_STREAM) -> Draws:
        """``n`` independent units from the stream (seed, stream): one generator, fixed draw order."""
        g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=(stream,))))
        z_s = g.standard_normal((n, len(self.factors)))
        z_l = [g.standard_normal((n, f.dies_per_unit, f.instances)) for f in self.factors]
        u = {(plat, name): g.random((n, per, k)) for plat, name, _, k, per in self.defects}
        return Draws(z_s, z_l, u)

    def fixed_draws(self, n: int) -> Draws:
        """``n`` units at z = 0 without defects (corners)."""
        return Draws(np.zeros((n, len(self.factors))),
                     [np.zeros((n, f.dies_per_unit, f.instances)) for f in self.factors],
                     {(plat, name): np.ones((n, per, k)) for plat, name, _, k, per in self.defects})

    # -- evaluation
    def evaluate(self, draws: Draws, settings: Settings, progress: Callable[[int], None] | None = None) -> Outputs:
        """Every unit of ``draws`` under every setting: S x n rows, setting-major."""
        n, s = draws.n, len(settings)
        rows = s * n
        chunk = _CHUNK[self.platform]
        parts: list[Outputs] = []
        for a in range(0, rows, chunk):
            r = np.arange(a, a + chunk)
            r = np.minimum(r, rows - 1)  # the last chunk padded with its last row: one compiled batch size
            out = self._evaluate_rows(draws, settings, r // n, r % n)
            m = min(chunk, rows - a)
            parts.append(Outputs({k: v[:m] for k, v in out.metrics.items()},
                                 {k: v[:m] for k, v in out.limit_pass.items()}, out.objective[:m]))
            self.evaluations += m
            if progress is not None:
                progress(m)
        return Outputs({k: np.concatenate([p.metrics[k] for p in parts]) for k in parts[0].metrics},
                       {k: np.concatenate([p.limit_pass[k] for p in parts]) for k in parts[0].limit_pass},
                       np.concatenate([p.objective for p in parts]))

    def _values(self, draws: Draws, settings: Settings, si: np.ndarray, di: np.ndarray) -> dict[str, np.ndarray]:
        out = {}
        for j, f in enumerate(self.factors):
            shared = (settings.scale_shared[si, j] * f.sigma_shared * draws.z_shared[di, j])[:, None, None]
            local = settings.scale_local[si, j][:, None, None] * f.sigma_local * draws.z_local[j][di]
            out[f.name] = f.nominal + settings.shift[si, j][:, None, None] + shared + local
        return out

    def _defects(self, draws: Draws, di: np.ndarray, plat: str) -> dict[str, np.ndarray]:
        out = {}
        for p, name, p_fail, k, _ in self.defects:
            if p != plat:
                continue
            failed = draws.u[(p, name)][di] < p_fail  # (R, per_unit, k)
            failed = failed.reshape(-1, k)
            out[name] = failed.sum(axis=1)
            if k > 1:
                out[f"{name}_devices"] = failed
        return out

    def _params(self, values: dict, plat: str) -> dict[str, np.ndarray]:
        return {f.param: values[f.name].reshape(-1, f.instances) for f in self.factors if f.platform == plat}

    def _nominal_clients(self, n: int) -> tuple[dict, dict]:
        """``n`` client dies at the nominal process without defects (the partners of a server die)."""
        from ..circuits import devices as dv
        from ..wafer.variation import DEVICES_PER_DIE, INSTANCES

        proc = self._processes()["inp"]
        params = {k: np.full((n, INSTANCES["inp"].get(k, 1)), proc[k].nominal) for k in dv.INP_OFFSETS}
        k = DEVICES_PER_DIE["inp"]["pm_failure"]
        return params, {"pm_failure": np.zeros(n, int), "pm_failure_devices": np.zeros((n, k), bool)}

    def _processes(self) -> dict:
        from ..design import processes as design_processes
        from ..wafer.evaluate import _design

        st = self.cfg.study
        return {**design_processes(_design(st.design)), **st.process}

    def _evaluate_rows(self, draws: Draws, settings: Settings, si: np.ndarray, di: np.ndarray) -> Outputs:
        from ..wafer.evaluate import EVALUATORS

        st = self.cfg.study
        values = self._values(draws, settings, si, di)
        r = len(si)
        if self.platform == "inp":
            m = EVALUATORS["inp"](params=self._params(values, "inp"), defects=self._defects(draws, di, "inp"),
                                  design=st.design, processes=st.process)
            obj = m[OBJECTIVE]
        elif self.platform == "sin":
            params, defects = self._params(values, "sin"), self._defects(draws, di, "sin")
            m = EVALUATORS["sin"](params=params, defects=defects, design=st.design, processes=st.process)
            q = EVALUATORS["pair"](client=self._nominal_clients(2 * r), server=(params, defects), n_pairs=r,
                                   design=st.design, processes=self._processes())
            obj = q[OBJECTIVE]
        else:
            m = EVALUATORS["pair"](client=(self._params(values, "inp"), self._defects(draws, di, "inp")),
                                   server=(self._params(values, "sin"), self._defects(draws, di, "sin")),
                                   n_pairs=r, design=st.design, processes=st.process)
            obj = m[OBJECTIVE]
        metrics = {k: np.asarray(m[k], dtype=float) for k in st.spec.metrics}
        passes = st.spec.evaluate(metrics)
        for flag, margin in FLAG_MARGINS.items():  # the continuous margin behind a flag the spec limits
            if flag in metrics and margin in m:
                metrics[margin] = np.asarray(m[margin], dtype=float)
        return Outputs(metrics, {k: np.asarray(v, bool) for k, v in passes.items()},
                       np.nan_to_num(np.asarray(obj, dtype=float), nan=0.0))


# ----------------------------------------------------------------------------- smoothing
#: Pass/fail flags with a continuous margin behind them (``wafer.evaluate``): the flag's limit is smoothed on
#: the margin where the flag's own failure is the margin's (a unit failing for a discrete reason, e.g. a
#: circuit that cannot run the protocol, stays a hard fail).
FLAG_MARGINS = {"locked": "lock_margin"}


def _flag_margin(lim, metrics: dict[str, np.ndarray]) -> np.ndarray | None:
    name = FLAG_MARGINS.get(lim.metric)
    if name is None or name not in metrics or lim.min is None or lim.max is not None:
        return None
    flag = np.asarray(metrics[lim.metric], dtype=float)
    m = np.asarray(metrics[name], dtype=float)
    return np.where(flag >= lim.min, np.maximum(m, 0.0), np.where(m < 0, m, -np.inf))


def _margins(spec, metrics: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Signed distance of every unit to each limit (positive = passes), log10 for :data:`LOG_METRICS`;
    for a flag of :data:`FLAG_MARGINS`, its continuous margin."""
    out = {}
    for lim in spec.limits:
        fm = _flag_margin(lim, metrics)
        if fm is not None:
            out[lim.name] = fm
            continue
        v = np.asarray(metrics[lim.metric], dtype=float)
        if lim.metric in LOG_METRICS:
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), -np.inf)
                lo = math.log10(lim.min) if lim.min is not None and lim.min > 0 else (
                    -np.inf if lim.min is not None else None)
                hi = math.log10(lim.max) if lim.max is not None and lim.max > 0 else lim.max
        else:
            lo, hi = lim.min, lim.max
        m = np.full(v.shape, np.inf)
        if lo is not None:
            m = np.minimum(m, v - lo)
        if hi is not None:
            m = np.minimum(m, hi - v)
        out[lim.name] = np.where(np.isfinite(v), m, -np.inf)
    return out


def temperatures(spec, base: Outputs) -> dict[str, dict]:
    """The sigmoid temperature of every limit, from the units at the nominal process: ``None`` (an
    indicator) for a limit on a flag or a count (every finite value an integer) or without spread."""
    margins = _margins(spec, base.metrics)
    out = {}
    for lim in spec.limits:
        v = np.asarray(base.metrics[lim.metric], dtype=float)
        fin = v[np.isfinite(v)]
        m = margins[lim.name]
        m = m[np.isfinite(m)]
        discrete = fin.size == 0 or bool(np.all(fin == np.round(fin)))
        if _flag_margin(lim, base.metrics) is not None:
            discrete = False  # a flag with its margin: smoothed on the margin
        sd = float(m.std()) if m.size > 1 else 0.0
        t = None if discrete or sd == 0.0 else SMOOTH_FRACTION * sd
        out[lim.name] = {"metric": lim.metric, "scale": "log10" if lim.metric in LOG_METRICS else "linear",
                         "temperature": t, "smoothed": t is not None}
    return out


def soft_pass(spec, out: Outputs, temps: dict[str, dict]) -> np.ndarray:
    """Smoothed pass of every unit: product over limits of sigmoid(margin / T) (indicator where T is None)."""
    margins = _margins(spec, out.metrics)
    s = np.ones(out.passes.shape)
    for lim in spec.limits:
        t = temps[lim.name]["temperature"]
        if t is None:
            s = s * out.limit_pass[lim.name]
        else:
            with np.errstate(over="ignore"):
                s = s * (0.5 * (1.0 + np.tanh(margins[lim.name] / (2.0 * t))))  # = 1 / (1 + exp(-m / T))
    return s


# ----------------------------------------------------------------------------- Sobol (SALib)
@dataclass(frozen=True)
class Variable:
    """One independent input of a Sobol analysis: ``dist`` "norm" (bounds = mean, sd) or "unif" (lo, hi)."""

    name: str
    group: str
    dist: str
    bounds: tuple[float, float]


def sobol_indices(variables: list[Variable], model: Callable[[np.ndarray], dict[str, np.ndarray]],
                  base_samples: int, seed: int) -> dict:
    """First-order and total Sobol indices of every output of ``model`` with respect to every group of
    ``variables``: Saltelli's sampling (scrambled Sobol' sequence, ``SALib.sample.sobol``; N (G + 2) model
    runs for G groups, no second order) and the Saltelli et al. (2010) / Jansen estimators with bootstrap
    95 % intervals (``SALib.analyze.sobol``, 100 resamples). ``model`` gets the (N (G + 2), D) matrix of
    input values at once and returns ``{output: values}``. An output without variance has ``None``
    indices. Deterministic for a given ``seed``."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    check_range("base_samples", base_samples, 2, 2**20)
    groups = list(dict.fromkeys(v.group for v in variables))
    problem = {"num_vars": len(variables), "names": [v.name for v in variables],
               "bounds": [list(v.bounds) for v in variables], "dists": [v.dist for v in variables],
               "groups": [v.group for v in variables]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns about N not a power of 2 and about constant outputs
        # SALib reseeds its bootstrap only for a non-zero seed: derive two non-zero 32-bit seeds
        s_sample, s_boot = (int(v) + 1 for v in np.random.SeedSequence(int(seed)).generate_state(2))
        x = sobol_sample.sample(problem, int(base_samples), calc_second_order=False, scramble=True, seed=s_sample)
        ys = model(x)
        out = {"groups": groups, "base_samples": int(base_samples), "model_runs": int(x.shape[0])}
        for key, y in ys.items():
            y = np.asarray(y, dtype=float)
            if not np.all(np.isfinite(y)):
                raise InputError(f"sobol_indices: output {key!r} has non-finite values")
            if np.ptp(y) == 0:
                out[key] = {"variance": 0.0, "indices": None, "note": "constant output: no variance to apportion"}
                continue
            s = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=100, conf_level=0.95,
                                      seed=s_boot)
            out[key] = {"variance": float(y.var()),
                        "indices": {g: {"S1": float(s["S1"][i]), "S1_conf95": float(s["S1_conf"][i]),
                                        "ST": float(s["ST"][i]), "ST_conf95": float(s["ST_conf"][i])}
                                    for i, g in enumerate(groups)}}
    return out


def _sobol_variables(model: DieModel) -> list[Variable]:
    """The die model's independent process inputs (standard normals), one group per process parameter.
    Defects are not process parameters: the Sobol analysis is conditional on no catastrophic defect."""
    out = []
    for f in model.factors:
        if f.sigma_shared > 0:
            out.append(Variable(f"{f.name}:shared", f.name, "norm", (0.0, 1.0)))
        if f.sigma_local > 0:
            for d in range(f.dies_per_unit):
                for k in range(f.instances):
                    out.append(Variable(f"{f.name}:local[{d},{k}]", f.name, "norm", (0.0, 1.0)))
    return out


def _draws_from_matrix(model: DieModel, variables: list[Variable], x: np.ndarray) -> Draws:
    """Map a Saltelli matrix onto the die model's inputs (inputs without variance at z = 0; no defect)."""
    d = model.fixed_draws(x.shape[0])
    col = {v.name: i for i, v in enumerate(variables)}
    for j, f in enumerate(model.factors):
        if f"{f.name}:shared" in col:
            d.z_shared[:, j] = x[:, col[f"{f.name}:shared"]]
        if f.sigma_local > 0:
            for a in range(f.dies_per_unit):
                for k in range(f.instances):
                    d.z_local[j][:, a, k] = x[:, col[f"{f.name}:local[{a},{k}]"]]
    return d


# ----------------------------------------------------------------------------- the analyses
def _gradient(model: DieModel, draws: Draws, progress) -> tuple[dict, Outputs, dict]:
    """CRN central differences of the smoothed yield and of the mean objective (see module docstring)."""
    spec = model.cfg.study.spec
    nf, n = len(model.factors), draws.n
    parts = [Settings.nominal(1, nf)]
    labels: list[tuple[int, str]] = []
    for j, f in enumerate(model.factors):
        s = Settings.nominal(2, nf)
        s.shift[:, j] = [MEAN_STEP_SIGMA * f.sigma_total, -MEAN_STEP_SIGMA * f.sigma_total]
        parts.append(s)
        labels.append((j, "mean"))
        s = Settings.nominal(2, nf)
        s.scale_shared[:, j] = s.scale_local[:, j] = [1 + SIGMA_STEP_REL, 1 - SIGMA_STEP_REL]
        parts.append(s)
        labels.append((j, "sigma"))
        if f.sigma_local > 0 and f.sigma_shared > 0 and f.instances * f.dies_per_unit > 1:
            s = Settings.nominal(2, nf)
            s.scale_local[:, j] = [1 + SIGMA_STEP_REL, 1 - SIGMA_STEP_REL]
            parts.append(s)
            labels.append((j, "sigma_local"))
    out = model.evaluate(draws, Settings.stack(parts), progress)
    base = Outputs({k: v[:n] for k, v in out.metrics.items()}, {k: v[:n] for k, v in out.limit_pass.items()},
                   out.objective[:n])
    temps = temperatures(spec, base)
    soft = soft_pass(spec, out, temps).reshape(-1, n)
    hard = out.passes.astype(float).reshape(-1, n)
    obj = out.objective.reshape(-1, n)

    def diff(a: np.ndarray, i: int, denom: float) -> tuple[float, float]:
        d = (a[i] - a[i + 1]) / denom
        return float(d.mean()), float(d.std(ddof=1) / math.sqrt(n))

    res: dict[str, dict] = {}
    for i, (j, kind) in enumerate(labels):
        f = model.factors[j]
        row = 1 + 2 * i
        e = res.setdefault(f.name, {"unit": f.unit, "nominal": f.nominal, "sigma_total": f.sigma_total})
        if kind == "mean":
            g, se = diff(soft, row, 2 * MEAN_STEP_SIGMA)
            e["d_yield_per_1sigma_mean_shift"], e["d_yield_per_1sigma_mean_shift_se"] = g, se
            e["d_yield_per_1sigma_mean_shift_unsmoothed"] = diff(hard, row, 2 * MEAN_STEP_SIGMA)[0]
            e["d_yield_d_mean_per_unit"] = g / f.sigma_total if f.sigma_total > 0 else None
            g, se = diff(obj, row, 2 * MEAN_STEP_SIGMA)
            e[f"d_{OBJECTIVE}_per_1sigma_mean_shift"], e[f"d_{OBJECTIVE}_per_1sigma_mean_shift_se"] = g, se
        else:
            key = "10pct_sigma" if kind == "sigma" else "10pct_sigma_local"
            g, se = diff(soft, row, 2.0)
            e[f"d_yield_per_{key}"], e[f"d_yield_per_{key}_se"] = g, se
            if kind == "sigma":
                e["d_yield_per_10pct_sigma_unsmoothed"] = diff(hard, row, 2.0)[0]
            g, se = diff(obj, row, 2.0)
            e[f"d_{OBJECTIVE}_per_{key}"], e[f"d_{OBJECTIVE}_per_{key}_se"] = g, se
    for f in model.factors:
        res[f.name]["d_yield_per_10pct_sigma_by_level"] = _by_level(f, res[f.name])
    info = {"temperatures": temps, "yield_smoothed": float(soft[0].mean()),
            "objective_mean": float(obj[0].mean()), "objective_se": float(obj[0].std(ddof=1) / math.sqrt(n))}
    return res, base, info


def _by_level(f: Factor, e: dict) -> dict[str, float]:
    """d yield per +10 % of each sigma level (wafer, within-wafer, local), to first order from the measured
    derivatives: a die's distribution depends on the levels only through sigma_shared^2 = sigma_wafer^2 +
    sigma_within_wafer^2 and sigma_local^2 (through sigma_total^2 alone for one instance per die), so a
    10 % change of level c changes the yield by (sigma_c^2 / sigma_group^2) x the group's derivative."""
    tot = e["d_yield_per_10pct_sigma"]
    levels = {"wafer": f.sigma_wafer**2, "within_wafer": f.sigma_within_wafer**2, "local": f.sigma_local**2}
    if "d_yield_per_10pct_sigma_local" in e:
        loc = e["d_yield_per_10pct_sigma_local"]
        sh2 = f.sigma_shared**2
        return {"wafer": levels["wafer"] / sh2 * (tot - loc) if sh2 else 0.0,
                "within_wafer": levels["within_wafer"] / sh2 * (tot - loc) if sh2 else 0.0, "local": loc}
    t2 = f.sigma_total**2
    return {k: (v / t2 * tot if t2 else 0.0) for k, v in levels.items()}


def _sobol_base(dies: int) -> int:
    """Sobol base samples N of a run of ``dies``: the largest power of two not above it."""
    return 1 << (int(dies).bit_length() - 1)


def _sobol(model: DieModel, seed: int, progress) -> dict:
    variables = _sobol_variables(model)
    base = _sobol_base(model.cfg.dies)
    if not variables:  # every sigma of the study is zero
        none = {"variance": 0.0, "indices": None, "note": "no process variation: every sigma is zero"}
        return {"groups": [], "base_samples": 0, "model_runs": 0, "pass": {**none, "runs_passing": 0}, OBJECTIVE: none}

    passing = [0]

    def run(x: np.ndarray) -> dict[str, np.ndarray]:
        o = model.evaluate(_draws_from_matrix(model, variables, x), Settings.nominal(1, len(model.factors)), progress)
        passing[0] = int(o.passes.sum())
        return {"pass": o.passes.astype(float), OBJECTIVE: o.objective}

    out = sobol_indices(variables, run, base, int(np.random.SeedSequence(seed, spawn_key=(_SOBOL_STREAM,))
                                                  .generate_state(1)[0]))
    out["pass"]["runs_passing"] = passing[0]
    return out


def _yields(model: DieModel, draws: Draws, scales: np.ndarray, progress) -> np.ndarray:
    """Indicator yield of ``draws`` at every row of ``scales`` (S, F): both sigma levels scaled."""
    s = Settings(np.zeros_like(scales), scales, scales.copy())
    return model.evaluate(draws, s, progress).passes.reshape(len(scales), draws.n).mean(axis=1)


def _tolerance(model: DieModel, draws: Draws, y1: float, target: float, progress) -> dict:
    """Largest sigma scale (one factor at a time, then all together) whose yield reaches ``target``."""
    nf = len(model.factors)
    cases = [(f.name, np.eye(nf)[j] == 1) for j, f in enumerate(model.factors)] + [("all", np.ones(nf, bool))]

    def scales(values: list[float], idx: list[int]) -> np.ndarray:
        s = np.ones((len(idx), nf))
        for r, (c, v) in enumerate(zip(idx, values)):
            s[r, cases[c][1]] = v
        return s

    y0 = _yields(model, draws, scales([0.0] * len(cases), list(range(len(cases)))), progress)
    lo = np.zeros(len(cases))
    hi = np.ones(len(cases))
    y_lo = y0.copy()
    active = [c for c in range(len(cases)) if y1 < target <= y0[c]]
    for _ in range(TOLERANCE_STEPS):
        if not active:
            break
        mid = [(lo[c] + hi[c]) / 2 for c in active]
        y = _yields(model, draws, scales(mid, active), progress)
        for c, m, yy in zip(active, mid, y):
            if yy >= target:
                lo[c], y_lo[c] = m, yy
            else:
                hi[c] = m
    out = {}
    for c, (name, _) in enumerate(cases):
        if y1 >= target:
            e = {"status": "target already met", "sigma_scale": 1.0, "yield_at_scale": y1}
        elif y0[c] < target:
            e = {"status": "not reachable by this sigma alone" if name != "all" else "not reachable by the sigmas",
                 "sigma_scale": None, "yield_at_scale": None}
        else:
            e = {"status": "reached", "sigma_scale": float(lo[c]), "yield_at_scale": float(y_lo[c])}
        e["yield_with_sigma_zero"] = float(y0[c])
        if name != "all":
            f = model.factors[c]
            e["sigma_total"] = f.sigma_total
            e["sigma_total_at_scale"] = None if e["sigma_scale"] is None else e["sigma_scale"] * f.sigma_total
            e["unit"] = f.unit
        out[name] = e
    return {"target_yield": target, "yield_at_nominal_sigma": y1,
            "method": f"bisection ({TOLERANCE_STEPS} steps) on the sigma scale of every level of the parameter(s), "
                      "indicator yield of the study's dies with common random numbers",
            "per_parameter": {k: v for k, v in out.items() if k != "all"}, "all_sigmas": out["all"]}


def _corners(model: DieModel, ranking: list[str], k: int, progress) -> list[dict]:
    names = ranking[:k]
    idx = [next(j for j, f in enumerate(model.factors) if f.name == nm) for nm in names]
    combos = [()] + [tuple(s) for s in np.array(np.meshgrid(*[[-1, 1]] * k, indexing="ij")).reshape(k, -1).T]
    s = Settings.nominal(len(combos), len(model.factors))
    for r, signs in enumerate(combos):
        for j, sg in zip(idx, signs):
            s.shift[r, j] = sg * CORNER_SIGMA * model.factors[j].sigma_total
    out = model.evaluate(model.fixed_draws(1), s, progress)
    res = []
    for r, signs in enumerate(combos):
        res.append({
            "corner": "nominal" if not signs else " ".join(f"{nm}{'+' if sg > 0 else '-'}" for nm, sg in zip(names, signs)),
            "offsets_sigma": {nm: (float(sg) * CORNER_SIGMA if signs else 0.0) for nm, sg in
                              zip(names, signs or [0] * k)},
            "values": {nm: model.factors[j].nominal + float(s.shift[r, j]) for nm, j in zip(names, idx)},
            "pass": bool(out.passes[r]),
            "failed_limits": [lim for lim, v in out.limit_pass.items() if not v[r]],
            "metrics": {m: _num(v[r]) for m, v in out.metrics.items()},
            OBJECTIVE: float(out.objective[r]),
        })
    return res


def _num(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


#: The pass indicator ranks the parameters only if it varies in at least this many Sobol runs each way
#: (passing and failing); rarer failures leave its indices to bootstrap noise.
MIN_PASS_VARIATIONS = 20


def _ranking(model: DieModel, sobol: dict, grad: dict) -> tuple[list[str], str, dict]:
    """Most influential first: total Sobol index ST of the pass indicator when it varies in at least
    :data:`MIN_PASS_VARIATIONS` Sobol runs each way, else ST of the objective, else |d yield / 1 sigma| +
    |d yield / 10 % sigma|; a Sobol basis is used only if its largest ST is resolved (its 95 % interval
    excludes 0). Ties by name."""
    names = [f.name for f in model.factors]

    def st(key: str) -> dict[str, float] | None:
        r = sobol.get(key, {})
        if not r or r.get("indices") is None:
            return None
        ind = r["indices"]
        top = max(ind.values(), key=lambda e: e["ST"]) if ind else None
        if top is None or top["ST"] - top["ST_conf95"] <= 0:
            return None  # bootstrap noise: too few Sobol runs for this output
        return {n: max(ind[n]["ST"], 0.0) if n in ind else 0.0 for n in names}

    runs_pass = sobol.get("pass", {}).get("runs_passing", 0)
    runs_fail = sobol.get("model_runs", 0) - runs_pass
    if st("pass") is not None and min(runs_pass, runs_fail) >= MIN_PASS_VARIATIONS:
        basis, score = "total Sobol index ST of the die pass indicator", st("pass")
    elif st(OBJECTIVE) is not None:
        basis = (f"total Sobol index ST of {OBJECTIVE} (the pass indicator's indices are not resolved: "
                 f"{runs_fail} failing of {runs_pass + runs_fail} Sobol runs)")
        score = st(OBJECTIVE)
    else:
        basis = ("|d yield per 1 sigma mean shift| + |d yield per 10 % sigma| (no resolved Sobol index: too few "
                 "dies or no process variance)")
        score = {n: abs(grad[n]["d_yield_per_1sigma_mean_shift"]) + abs(grad[n]["d_yield_per_10pct_sigma"])
                 for n in names}
    order = sorted(names, key=lambda n: (-round(score[n], 12), n))
    return order, basis, {n: score[n] for n in order}


def study_yield(cfg: SensitivityConfig, *, sigma_scale: dict[str, float] | None = None,
                mean_shift_sigma: dict[str, float] | None = None, dies: int | None = None,
                seed: int | None = None) -> tuple[float, float]:
    """Indicator yield (and its binomial standard error) of the study's die model with some parameters'
    sigmas scaled and/or means shifted (in total sigmas), on ``dies`` units of stream ``seed`` (default:
    the run's own dies, i.e. the common random numbers of :func:`run_sensitivity`)."""
    model = DieModel(cfg)
    draws = model.draws(dies or cfg.dies, cfg.seed if seed is None else seed)
    nf = len(model.factors)
    s = Settings.nominal(1, nf)
    names = {f.name: j for j, f in enumerate(model.factors)}
    for key, v in {**(sigma_scale or {}), **(mean_shift_sigma or {})}.items():
        if key not in names:
            raise InputError(f"{key!r} is not a process parameter of the {cfg.platform!r} study; known: {list(names)}")
    for key, v in (sigma_scale or {}).items():
        s.scale_shared[0, names[key]] = s.scale_local[0, names[key]] = v
    for key, v in (mean_shift_sigma or {}).items():
        s.shift[0, names[key]] = v * model.factors[names[key]].sigma_total
    y = float(model.evaluate(draws, s).passes.mean())
    return y, math.sqrt(max(y * (1 - y), 1e-12) / draws.n)


def run_sensitivity(cfg: SensitivityConfig, progress: Callable[[str, int, int], None] | None = None) -> dict:
    """The whole analysis (keys of ``qchipnet sensitivity --json``). ``progress(stage, done, total)`` is
    called as evaluator batches finish (units)."""
    model = DieModel(cfg)
    draws = model.draws(cfg.dies, cfg.seed)
    nf = len(model.factors)

    def stage(name: str, total: int):
        done = [0]

        def step(m: int) -> None:
            done[0] += m
            if progress is not None:
                progress(name, done[0], total)

        if progress is not None:
            progress(name, 0, total)
        return step

    n_grad = 1 + 4 * nf + 2 * sum(f.sigma_local > 0 and f.sigma_shared > 0 and f.instances * f.dies_per_unit > 1
                                  for f in model.factors)
    grad, base, info = _gradient(model, draws, stage("gradients", n_grad * cfg.dies))
    y1 = float(base.passes.mean())
    no_defects = model.fixed_draws(cfg.dies)
    no_defects.z_shared, no_defects.z_local = draws.z_shared, draws.z_local
    y_nd = float(model.evaluate(no_defects, Settings.nominal(1, nf), stage("without defects", cfg.dies)).passes.mean())
    n_sobol = _sobol_base(cfg.dies) * (len({v.group for v in _sobol_variables(model)}) + 2)
    sobol = _sobol(model, cfg.seed, stage("Sobol indices", n_sobol))
    ranking, basis, scores = _ranking(model, sobol, grad)
    tol = _tolerance(model, draws, y1, cfg.target_yield,
                     stage("tolerance", (nf + 1) * cfg.dies * (1 + TOLERANCE_STEPS)))
    corners = _corners(model, ranking, cfg.corners_k, stage("corners", 2**cfg.corners_k + 1))
    spec = cfg.study.spec
    out = {
        "design": cfg.design_path,
        "platform": cfg.platform,
        "dies": cfg.dies,
        "seed": cfg.seed,
        "target_yield": cfg.target_yield,
        "corners_k": cfg.corners_k,
        "ranking": ranking,
        "ranking_basis": basis,
        "ranking_scores": scores,
        "yield": y1,
        "yield_se": math.sqrt(max(y1 * (1 - y1), 0.0) / cfg.dies),
        "yield_definition": f"fraction of {'chip pairs' if cfg.platform == 'pair' else 'dies'} passing every limit "
                            f"of the default {cfg.platform!r} spec ({', '.join(lim.name for lim in spec.limits)})",
        "yield_without_defects": y_nd,
        "failures_by_limit": {k: int((~v).sum()) for k, v in base.limit_pass.items()},
        "objective": OBJECTIVE,
        "objective_definition": {
            "inp": "key-rate ratio to the PLOB bound at 370 km of the die as client A of the design's first pair "
                   "with a nominal partner and server (0 without key)",
            "sin": "key-rate ratio to the PLOB bound at 370 km of the design's first pair served by the die with "
                   "two nominal client dies (0 without key)",
            "pair": "key-rate ratio to the PLOB bound at 370 km of the pair (0 without key); the pair yield is "
                    "the fraction of pairs above PLOB (the per-slot term of the expected pairs above PLOB "
                    "per network)"}[cfg.platform],
        "objective_mean": info["objective_mean"],
        "objective_se": info["objective_se"],
        "parameters": {f.name: {"unit": f.unit, "nominal": f.nominal, "sigma_wafer": f.sigma_wafer,
                                "sigma_within_wafer_plan_averaged": f.sigma_within_wafer, "sigma_shared": f.sigma_shared,
                                "sigma_local": f.sigma_local, "sigma_total": f.sigma_total,
                                "instances_per_die": f.instances} for f in model.factors},
        "parameters_not_read": model.unused,
        "die_model": "independent dies; parameter = nominal + sigma_shared z_s + sigma_local z_l[instance], "
                     "sigma_shared^2 = sigma_wafer^2 + sigma_within_wafer^2 (1 - radial_fraction (1 - <12 rho^2>)) "
                     "(the variance of one die of wafer.variation averaged over the plan's dies); defects "
                     "Bernoulli per device"
                     + ("; the two clients of a pair share z_s" if cfg.platform == "pair" else ""),
        "gradient": {
            "method": f"central differences with common random numbers over {cfg.dies} dies: mean +-"
                      f"{MEAN_STEP_SIGMA:g} sigma_total, every sigma level x(1 +- {SIGMA_STEP_REL:g}); yield "
                      f"smoothed by sigmoid(margin / T), T = {SMOOTH_FRACTION:g} x the die-to-die standard "
                      "deviation of the margin (limits on flags and counts stay indicators); se = standard error "
                      "over dies; _by_level: per wafer / within-wafer / local level, to first order from the "
                      "measured derivatives (a die depends on the levels only through sigma_shared and sigma_local)",
            "yield_smoothed": info["yield_smoothed"],
            "temperatures": info["temperatures"],
            "per_parameter": grad,
        },
        "sobol": {
            "method": "SALib 1.6 Saltelli sampling (scrambled Sobol' sequence) of the die model's independent inputs, "
                      "grouped per process parameter, without defects; Saltelli 2010 / Jansen estimators, "
                      "bootstrap 95 % intervals (100 resamples)",
            "inputs": [v.name for v in _sobol_variables(model)],
            **sobol,
        },
        "corners": corners,
        "corners_definition": f"+-{CORNER_SIGMA:g} sigma_total of the {cfg.corners_k} first parameters of the "
                              "ranking (every instance of a parameter shifted together), the others at nominal, "
                              "no defect; the first entry is the nominal die",
        "tolerance": tol,
        "evaluations": model.evaluations,
    }
    return out
