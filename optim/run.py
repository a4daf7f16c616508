"""The design optimiser of ``qchipnet optimize`` (issue 14): bounded gradient ascent on the relaxed network
objective of :mod:`qchipnet.optim.objective`, a finite-difference check of its gradient, and the before/after
comparison by the full, unrelaxed network Monte Carlo.

**Optimiser.** Projected Adam (Kingma & Ba, "Adam: a method for stochastic optimization", ICLR 2015,
arXiv:1412.6980, Algorithm 1) in normalised coordinates ``u = (x - lower) / (upper - lower)`` in [0, 1]^n, as an
ascent (the objective is maximised). Adam's per-coordinate step is invariant to the scale of the objective
(pairs above PLOB ~ 10, a sum of key rates per pulse ~ 1e-6 take the same steps) and of each variable (um of
phase-modulator length and um of ring gap are both fractions of their range). Every candidate is projected onto
the box (Bertsekas, *Nonlinear Programming*, 3rd ed., Sec. 2.3: the gradient-projection method) and then checked
with ``problem.feasible`` (schema ranges, model validity, design rules, chip area); an infeasible candidate is
never evaluated or accepted. It is replaced by a feasible move found with a bounded number of feasibility probes
(:func:`_feasible_step`: coordinate-wise, so that a rule blocking one variable does not freeze the others; trades
between two variables, which slide along a coupled rule such as a sum of lengths; else the step halved at most
``max_backtracks`` times). A step with no feasible ascent is rejected and halves the trust factor of later
steps. A design rule is seen only through ``feasible`` (no constraint gradient), so a coupled rule's optimum is
reached only to the trade grid's resolution (on the test's linear rule the objective gap is 6e-5 of 10). The
learning rate decays by a cosine schedule from ``lr`` to ``lr / 10`` over ``max_iter``. The result is the best iterate (largest relaxed objective), not the last.

Stops: ``max_iter`` iterations; ``budget_s`` wall-clock seconds (the loop stops before an iteration that the
previous one's duration says would overrun); convergence: the projected gradient in ``u`` (components pushing
out of the box zeroed) is below ``gtol * max(|f|, tiny)`` in max norm, i.e. moving any free variable across
its whole range would change f by less than the fraction ``gtol``; or ``patience`` consecutive steps shorter
than ``xtol`` (in ``u``); or the trust factor falls below 1e-3 (a design rule blocks every ascent direction).
Same problem (same seed of its common random numbers), same iterates, byte for byte; only a binding
``budget_s`` makes the number of iterations depend on the machine's speed (``stop_reason`` says which stop
acted).

**Gradient check.** :func:`gradient_check` compares the jax gradient at a point with finite differences of
``problem.value``: central differences ``(f(x+h) - f(x-h)) / 2h`` (error O(h^2); Nocedal & Wright, *Numerical
Optimization*, 2nd ed., Sec. 8.1, eq. 8.7) with ``h = rel_step * (upper - lower)`` per variable
(``rel_step = 1e-3`` by default: 0.1 % of the variable's range), or, where x +- h leaves the box or the feasible
set, the one-sided second-order formula ``(-3 f(x) + 4 f(x+h) - f(x+2h)) / 2h`` on the side that stays inside.
The error is measured in normalised coordinates (``g_u = g_x * (upper - lower)``, so components of different
units are comparable) as ``max_i |g_i - g_fd,i| / max(|g_fd,i|, floor * max_j |g_fd,j|)`` with
``floor = 1e-3``: a component a thousand times smaller than the largest is judged against the gradient's size
rather than its own (whose finite difference is mostly round-off).

**Before/after.** :func:`mc_objective` runs the network Monte Carlo of :mod:`qchipnet.wafer.network` (the
evaluator of ``qchipnet yield --platform network``: every die sampled from the process model, hard pass/fail,
no relaxation) on a design and reduces it to the unrelaxed objective (:data:`UNRELAXED`) and the table's
figures; :func:`device_metrics` gives the nominal device metrics (the evaluators of ``qchipnet ring`` and
``qchipnet transmitter``). :func:`run_optimize` is the whole command: start checks, gradient check, Monte Carlo
of the start design, optimisation with checkpoints, Monte Carlo of the result, output files.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..validate import InputError, check_range

__all__ = [
    "OUTPUTS",
    "UNRELAXED",
    "Iterate",
    "OptimizeResult",
    "before_after_markdown",
    "binding_constraints",
    "convergence_plot",
    "device_metrics",
    "gradient_check",
    "gradient_check_rel_err",
    "mc_objective",
    "objectives",
    "optimize",
    "run_optimize",
]

#: Files ``qchipnet optimize`` writes into ``--out`` (``--overwrite`` deletes nothing else).
OUTPUTS = ("design.yaml", "optimize.json", "before_after.md", "convergence.png")

#: Unrelaxed objectives, per sampled network, averaged over the Monte Carlo's networks (same names as
#: ``optim.objective.OBJECTIVES``; the relaxed objective replaces each hard indicator by a sigmoid).
UNRELAXED: dict[str, str] = {
    "pairs_above_plob": "mean over sampled networks of the number of pairs whose key rate beats the PLOB bound "
                        "(ratio_to_plob > 1) at distance_km",
    "sum_key_rate": "mean over sampled networks of the sum over pairs of the secret key rate of the pairs that lock "
                    "and give a positive key (failed pairs count zero), in 1e-9 bits per pulse (the relaxed "
                    "objective's unit, optim.objective.KEY_RATE_UNIT)",
}

#: Unit of the sum_key_rate objective: bits per pulse -> 1e-9 bits per pulse (= optim.objective.KEY_RATE_UNIT,
#: checked by the tests; repeated here so that this module imports without jax).
_KEY_RATE_UNIT = 1e9

#: Relative distance to a bound (in normalised coordinates) at which a variable counts as at that bound.
BOUND_TOL_U = 1e-4


# ----------------------------------------------------------------------------------------------- optimiser


@dataclass(frozen=True)
class Iterate:
    """One accepted iterate of :func:`optimize` (iteration 0 is the start)."""

    iteration: int
    objective: float  # relaxed objective at x
    x: tuple[float, ...]
    grad_norm: float  # max norm of the projected gradient in normalised coordinates
    elapsed_s: float  # wall clock since the start of optimize
    cpu_s: float  # process CPU time since the start of optimize
    step: float = 0.0  # max |u_new - u_old| of the accepted step
    mode: str = "start"  # "full" Adam step, or how an infeasible one was made feasible (see _feasible_step)
    blocked_by: str | None = None  # the last design rule that refused a probe of this step


@dataclass
class OptimizeResult:
    """What :func:`optimize` returns: the best iterate, the history and why it stopped."""

    x: np.ndarray  # best iterate (largest relaxed objective)
    objective: float
    x0: np.ndarray
    objective0: float
    grad: np.ndarray  # gradient (in x units) at the best iterate
    history: list[Iterate]
    iterations: int  # loop passes (accepted or rejected steps)
    evaluations: int  # value_and_grad calls
    stop_reason: str
    elapsed_s: float
    cpu_s: float
    rejected: list[dict] = field(default_factory=list)  # steps infeasible after every halving, with the reason
    settings: dict = field(default_factory=dict)

    @property
    def best_iteration(self) -> int:
        return max(self.history, key=lambda it: it.objective).iteration


def _span(problem) -> tuple[np.ndarray, np.ndarray]:
    lo = np.asarray(problem.lower, dtype=float)
    hi = np.asarray(problem.upper, dtype=float)
    if lo.shape != hi.shape or lo.ndim != 1 or not np.all(np.isfinite(lo)) or not np.all(np.isfinite(hi)) \
            or np.any(hi <= lo):
        bad = next((n for n, a, b in zip(problem.names, lo, hi) if not (np.isfinite(a) and np.isfinite(b) and b > a)),
                   "?")
        raise InputError(f"optimisation bounds of {bad}: need finite lower < upper")
    return lo, hi - lo


def _projected(g_u: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The gradient (ascent) with the components that push out of the box [0, 1] zeroed."""
    pg = np.array(g_u, dtype=float)
    pg[(u <= BOUND_TOL_U) & (pg < 0)] = 0.0
    pg[(u >= 1.0 - BOUND_TOL_U) & (pg > 0)] = 0.0
    return pg


#: Trade ratios tried when a design rule blocks a variable (another variable gives way by r times its move).
_TRADE_RATIOS = tuple(2.0 ** (k / 2) for k in range(-6, 7))
#: A variable with no feasible trade is not probed for trades again for this many blocked steps.
_NO_TRADE_STEPS = 3


def _feasible_step(problem, lo, span, u, d, g_u, max_backtracks: int, memory: dict, max_probes: int | None = None):
    """A feasible move from the feasible point ``u`` along the projected Adam step ``d`` (normalised coordinates).

    Design validation is not free (``problem.feasible`` builds and validates a design: ~0.1-0.3 s), so the
    number of feasibility probes is bounded (``max_probes``, default ``2 n + 8``). The full step if it is
    feasible (one probe, the usual case). Otherwise:

    1. coordinate-wise: the components are added one at a time, largest first-order gain ``g_u[j] d[j]``
       first, each at full length or halved once (a variable blocked at the previous step: full length
       only), so that a rule blocking one variable does not freeze the others;
    2. trades, for a variable ``i`` still blocked: ``i`` takes its step while another one, ``j``, gives way
       (against its own gain) by ``r`` times ``i``'s move, ``r`` on the grid ``_TRADE_RATIOS`` below
       ``|g_u[i]| / |g_u[j]|`` (a positive net gain): the largest ``r`` first (infeasible: no trade with
       ``j``; a rule monotone in ``r``), then the smallest feasible ``r`` by bisection over the grid. This
       slides along a coupled rule (e.g. a sum of lengths) that a feasibility oracle shows no gradient of;
    3. only if nothing moved: the whole step halved until feasible (at most ``max_backtracks`` times).

    ``memory`` (kept by the caller) holds ``blocked`` (variables blocked at the last step) and ``no_trade``
    (variables with no trade: not probed for trades in the next ``_NO_TRADE_STEPS - 1`` blocked steps, as the
    gradients that decide a trade change slowly). Returns
    ``(candidate or None, mode, reason of the last refusal)``.
    """
    n = len(u)
    budget = {"left": 2 * n + 8 if max_probes is None else max_probes}
    last = {"why": None}

    def ok(c) -> bool:
        if budget["left"] <= 0:
            return False
        budget["left"] -= 1
        why = problem.feasible(lo + c * span)
        if why is not None:
            last["why"] = why
        return why is None

    full = u + d
    if ok(full):
        memory["blocked"] = set()
        return full, "full", None
    blocked, no_trade = memory.setdefault("blocked", set()), memory.setdefault("no_trade", {})
    memory["calls"] = calls = memory.get("calls", 0) + 1
    c = u.copy()
    moved, now_blocked = 0, set()
    order = [int(j) for j in np.argsort(-(g_u * d), kind="stable") if g_u[j] * d[j] > 0]
    for j in sorted(order, key=lambda j: j in blocked):  # variables blocked last time: last, one probe
        for frac in ((1.0,) if j in blocked else (1.0, 0.5)):
            t = c.copy()
            t[j] += d[j] * frac
            if ok(t):
                c, moved = t, moved + 1
                break
        else:
            now_blocked.add(j)
    memory["blocked"] = now_blocked

    def trial(i, j, r, sg):
        t = c.copy()
        t[i] = u[i] + d[i]
        t[j] = c[j] + sg * r * abs(d[i])
        return t if 0.0 <= t[j] <= 1.0 else None

    traded = 0
    for i in [i for i in order if i in now_blocked and calls - no_trade.get(i, -99) >= _NO_TRADE_STEPS]:
        trade = None
        for j in range(n):
            if j == i:
                continue
            ratios = [r for r in _TRADE_RATIOS if abs(g_u[i]) > r * abs(g_u[j])]
            for sg in ((-np.sign(g_u[j]),) if g_u[j] != 0 else (1.0, -1.0)):
                rs = [r for r in ratios if trial(i, j, r, sg) is not None]
                if not rs or not ok(trial(i, j, rs[-1], sg)):
                    continue
                lo_k, hi_k = -1, len(rs) - 1  # rs[hi_k] feasible; bisect for the smallest feasible ratio
                while hi_k - lo_k > 1 and budget["left"] > 0:
                    mid = (lo_k + hi_k) // 2
                    if ok(trial(i, j, rs[mid], sg)):
                        hi_k = mid
                    else:
                        lo_k = mid
                t = trial(i, j, rs[hi_k], sg)
                gain = float(g_u @ (t - c))
                if gain > 0 and (trade is None or gain > trade[0]):
                    trade = (gain, t)
        if trade is not None:
            c, traded = trade[1], traded + 1
        else:
            no_trade[i] = calls
    if moved or traded:
        return c, f"coordinate-wise ({moved} of {n} variables moved, {traded} trades)", last["why"]
    for nb in range(1, max_backtracks + 1):
        c = u + d * 0.5**nb
        if ok(c):
            return c, f"shortened by 2^-{nb}", last["why"]
    return None, None, last["why"] or "no feasibility probe left"


def optimize(problem, *, budget_s: float = 600.0, max_iter: int = 40, lr: float = 0.05, beta1: float = 0.9,
             beta2: float = 0.999, gtol: float = 1e-4, xtol: float = 1e-4, patience: int = 3,
             max_backtracks: int = 6, max_probes: int | None = None, callback: Callable[[Iterate, np.ndarray], None] | None = None,
             echo: Callable[[str], None] | None = None) -> OptimizeResult:
    """Maximise ``problem``'s relaxed objective by projected Adam in normalised coordinates (module docstring).

    ``callback(iterate, best_x)`` runs after every accepted iterate (checkpoints); ``echo`` gets one progress
    line per iteration. Ctrl-C (KeyboardInterrupt) during the loop ends it with ``stop_reason="interrupted"``
    and the best iterate so far.
    """
    check_range("budget_s", budget_s, 0.0, 1e7, "s", lo_open=True)
    check_range("max_iter", max_iter, 0, 1_000_000)
    check_range("lr", lr, 0.0, 1.0, lo_open=True)
    t0, c0 = time.perf_counter(), time.process_time()
    lo, span = _span(problem)
    x0 = np.clip(np.asarray(problem.x0, dtype=float), lo, lo + span)
    why = problem.feasible(x0)
    if why is not None:
        raise InputError(f"the start design is not a valid point of the optimisation: {why}")
    settings = {"method": "projected Adam in normalised coordinates, cosine learning-rate decay; infeasible steps "
                          "repaired coordinate-wise, by trades or by halving (never evaluated)",
                "budget_s": budget_s, "max_iter": max_iter, "lr": lr, "beta1": beta1, "beta2": beta2, "gtol": gtol,
                "xtol": xtol, "patience": patience, "max_backtracks": max_backtracks, "max_probes": max_probes}

    def evaluate(x):
        f, g = problem.value_and_grad(x)
        return float(f), np.asarray(g, dtype=float)

    u = (x0 - lo) / span
    f, g = evaluate(x0)
    evals = 1
    if not (math.isfinite(f) and np.all(np.isfinite(g))):
        raise InputError(f"the relaxed objective is not finite at the start design (f = {f}); check the design")
    pg = _projected(g * span, u)
    hist = [Iterate(0, f, tuple(x0.tolist()), float(np.max(np.abs(pg), initial=0.0)), 0.0, 0.0)]
    best = (f, x0.copy(), g.copy())
    m = np.zeros_like(u)
    v = np.zeros_like(u)
    trust, small, k, t_iter = 1.0, 0, 0, 0.0
    memory: dict = {}  # variables a rule blocks (see _feasible_step)
    rejected: list[dict] = []
    stop = "max_iter"
    if echo:
        echo(f"iter 0  objective {f:.6g}  |pg| {hist[0].grad_norm:.3g}")
    if callback:
        callback(hist[0], best[1])
    try:
        while True:
            el = time.perf_counter() - t0
            if k >= max_iter:
                stop = "max_iter"
                break
            if el + t_iter > budget_s:
                stop = "budget_s"
                break
            if np.max(np.abs(pg), initial=0.0) <= gtol * max(abs(f), 1e-300):
                stop = "converged (projected gradient below gtol)"
                break
            if small >= patience:
                stop = "converged (steps below xtol)"
                break
            if trust < 1e-3:
                stop = "blocked (every shortened step violates a design rule)"
                break
            t_start = time.perf_counter()
            k += 1
            g_u = g * span
            m = beta1 * m + (1 - beta1) * g_u
            v = beta2 * v + (1 - beta2) * g_u**2
            mh, vh = m / (1 - beta1**k), v / (1 - beta2**k)
            eps = 1e-8 * float(np.sqrt(np.max(vh, initial=0.0))) + 1e-300
            lr_k = lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(k - 1, max_iter) / max(max_iter, 1))))
            direction = np.clip(u + trust * lr_k * mh / (np.sqrt(vh) + eps), 0.0, 1.0) - u
            cand, mode, why = _feasible_step(problem, lo, span, u, direction, g * span, max_backtracks, memory,
                                             max_probes)
            accepted = None
            for nb in range(max_backtracks + 1 if cand is not None else 0):
                c = u + (cand - u) * 0.5**nb  # shorter only where the objective is not finite
                xc = lo + c * span
                if nb and problem.feasible(xc) is not None:
                    continue
                fc, gc = evaluate(xc)
                evals += 1
                if math.isfinite(fc) and np.all(np.isfinite(gc)):
                    accepted = (mode if not nb else f"{mode}, {nb} halvings for a finite objective", c, xc, fc, gc)
                    break
                why = f"objective not finite ({fc})"
            if accepted is None:
                trust *= 0.5
                rejected.append({"iteration": k, "reason": why, "trust": trust})
                if echo:
                    echo(f"iter {k}  step rejected: {why}")
                t_iter = time.perf_counter() - t_start
                continue
            mode, cand, xc, f, g = accepted
            step = float(np.max(np.abs(cand - u), initial=0.0))
            small = small + 1 if step < xtol else 0
            u = cand
            pg = _projected(g * span, u)
            it = Iterate(k, f, tuple(xc.tolist()), float(np.max(np.abs(pg), initial=0.0)),
                         time.perf_counter() - t0, time.process_time() - c0, step, mode,
                         None if mode == "full" else why)
            hist.append(it)
            if f > best[0]:
                best = (f, xc.copy(), g.copy())
            if echo:
                echo(f"iter {k}/{max_iter}  objective {f:.6g}  |pg| {it.grad_norm:.3g}  step {step:.3g}"
                     + (f" ({mode})" if mode != "full" else "") + f"  {it.elapsed_s:.1f} s")
            if callback:
                callback(it, best[1])
            t_iter = time.perf_counter() - t_start
    except KeyboardInterrupt:
        stop = "interrupted"
        k = hist[-1].iteration if not rejected else max(hist[-1].iteration, rejected[-1]["iteration"])
    return OptimizeResult(x=best[1], objective=best[0], x0=x0, objective0=hist[0].objective, grad=best[2],
                          history=hist, iterations=k, evaluations=evals, stop_reason=stop,
                          elapsed_s=time.perf_counter() - t0, cpu_s=time.process_time() - c0, rejected=rejected,
                          settings=settings)


# ------------------------------------------------------------------------------------------ gradient check


def gradient_check(problem, x: np.ndarray | None = None, *, rel_step: float = 1e-3, floor: float = 1e-3) -> dict:
    """The jax gradient of ``problem`` at ``x`` (default ``problem.x0``) against finite differences of
    ``problem.value`` (module docstring). Returns ``{"rel_err", "rel_step", "floor", "components": [...]}``."""
    check_range("rel_step", rel_step, 0.0, 0.1, lo_open=True)
    lo, span = _span(problem)
    x = np.clip(np.asarray(problem.x0 if x is None else x, dtype=float), lo, lo + span)
    f0, g = problem.value_and_grad(x)
    g = np.asarray(g, dtype=float)
    fd = np.full_like(g, np.nan)
    schemes = []

    def ok(z):
        return bool(np.all(z >= lo) and np.all(z <= lo + span) and problem.feasible(z) is None)

    for i in range(len(x)):
        h = rel_step * span[i]
        e = np.zeros_like(x)
        e[i] = h
        if ok(x + e) and ok(x - e):
            fd[i] = (problem.value(x + e) - problem.value(x - e)) / (2 * h)
            schemes.append("central")
            continue
        for sgn, name in ((1.0, "forward"), (-1.0, "backward")):
            if ok(x + sgn * e) and ok(x + 2 * sgn * e):
                fd[i] = sgn * (-3 * float(f0) + 4 * problem.value(x + sgn * e) - problem.value(x + 2 * sgn * e)) / (2 * h)
                schemes.append(name)
                break
        else:
            schemes.append("none (no feasible neighbour)")
    g_u, fd_u = g * span, fd * span
    have = np.isfinite(fd_u)
    scale = floor * float(np.max(np.abs(fd_u[have]), initial=0.0))
    denom = np.maximum(np.abs(fd_u), scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(have, np.abs(g_u - fd_u) / denom, np.nan)
    err = np.where(have & (denom == 0) & (g_u == fd_u), 0.0, err)
    err = np.where(have & (denom == 0) & (g_u != fd_u), np.inf, err)
    # the check is of the jax gradient: variables whose partial is itself a finite difference (the server
    # ring's, ``Problem.jax_mask`` False) are reported but not part of ``rel_err``
    jax_mask = np.asarray(getattr(problem, "jax_mask", np.ones(len(x), bool)), bool)
    sel = have & jax_mask
    rel = float(np.max(err[sel])) if sel.any() else float("nan")
    rel_all = float(np.max(err[have])) if have.any() else float("nan")
    norm = float(np.linalg.norm(fd_u[have]))
    rel_norm = float(np.linalg.norm((g_u - fd_u)[have]) / norm) if norm > 0 else float("nan")
    comps = [{"name": n, "grad": float(a), "finite_difference": float(b), "step": float(rel_step * s),
              "scheme": sc, "rel_err": float(e), "gradient": "jax" if j else "finite difference"}
             for n, a, b, s, sc, e, j in zip(problem.names, g, fd, span, schemes, err, jax_mask)]
    return {"rel_err": rel, "rel_err_all_components": rel_all, "rel_err_norm": rel_norm,
            "rel_step": rel_step, "floor": floor, "objective": float(f0), "components": comps,
            "definition": "max_i |g_i - g_fd,i| / max(|g_fd,i|, floor * max_j |g_fd,j|) over the jax-differentiated "
                          "variables i, gradients in normalised coordinates; h_i = rel_step * (upper_i - lower_i); "
                          "central differences, one-sided second-order ones at a bound or a design rule; "
                          "rel_err_all_components includes the finite-difference (ring) variables, rel_err_norm "
                          "is |g - g_fd| / |g_fd| of the whole vector"}


def gradient_check_rel_err(problem, x: np.ndarray | None = None, *, rel_step: float = 1e-3,
                           floor: float = 1e-3) -> float:
    """:func:`gradient_check`'s max relative error (one number)."""
    return gradient_check(problem, x, rel_step=rel_step, floor=floor)["rel_err"]


def binding_constraints(problem, x: np.ndarray, grad: np.ndarray | None = None, *,
                        rule_step: float | None = 0.01) -> list[dict]:
    """The constraints that hold the design at ``x``.

    ``bound: "lower"/"upper"``: variables at a bound (within ``BOUND_TOL_U`` of the range); ``pushing`` says
    whether the objective's gradient points out of the box there (the bound is active: relaxing it would raise
    the objective). ``bound: "rule"`` (with ``grad`` and ``rule_step``): variables not at a bound that a design
    rule stops in their ascent direction, found by probing ``problem.feasible`` a step ``rule_step`` of the range
    away (one probe per such variable); ``rule`` is the rule's own message.
    """
    lo, span = _span(problem)
    x = np.asarray(x, dtype=float)
    u = (x - lo) / span
    out = []
    for i, name in enumerate(problem.names):
        g = None if grad is None else float(grad[i])
        at_bound = False
        for side, at, sign in (("lower", u[i] <= BOUND_TOL_U, -1.0), ("upper", u[i] >= 1 - BOUND_TOL_U, 1.0)):
            if at:
                at_bound = True
                out.append({"name": name, "bound": side, "value": float(x[i]),
                            "limit": float(lo[i] if side == "lower" else lo[i] + span[i]),
                            "pushing": None if g is None else bool(sign * g > 0)})
        if at_bound or g is None or g == 0 or rule_step is None:
            continue
        t = x.copy()
        t[i] = min(max(x[i] + np.sign(g) * rule_step * span[i], lo[i]), lo[i] + span[i])
        why = problem.feasible(t)
        if why is not None:
            out.append({"name": name, "bound": "rule", "value": float(x[i]), "limit": None, "pushing": True,
                        "direction": "up" if g > 0 else "down", "rule": why})
    return out


# -------------------------------------------------------------------------------------- Monte Carlo, devices


def mc_objective(design, objective_name: str, *, distance_km: float = 370.0, networks: int = 200, seed: int = 1,
                 echo: Callable[[str], None] | None = None) -> dict:
    """The unrelaxed objective of ``design`` by the network Monte Carlo (``wafer.network``; ``networks``
    sampled networks, ``seed``), with its standard error and the before/after table's figures."""
    import pandas as pd

    from ..wafer.network import (
        _NETWORKS_PER_CHUNK,
        evaluate_networks,
        make_network_study,
        summarise_networks,
    )

    if objective_name not in UNRELAXED:
        raise InputError(f"objective {objective_name!r}: choose one of {list(UNRELAXED)}")
    t0, c0 = time.perf_counter(), time.process_time()
    study = make_network_study(networks, seed, design=design, distance_km=distance_km)
    parts_p, parts_n, secs = [], [], []
    for s in range(0, study.networks, _NETWORKS_PER_CHUNK):
        p, n, sec = evaluate_networks(study, s, min(s + _NETWORKS_PER_CHUNK, study.networks))
        parts_p.append(p)
        parts_n.append(n)
        secs.append(sec)
        if echo:
            echo(f"  Monte Carlo: {min(s + _NETWORKS_PER_CHUNK, study.networks)}/{study.networks} networks")
    pairs = pd.concat(parts_p, ignore_index=True)
    nets = pd.concat(parts_n, ignore_index=True)
    sections = {k: np.concatenate([x[k] for x in secs]) for k in secs[0]}
    summ = summarise_networks(study, pairs, nets, sections, time.perf_counter() - t0, time.process_time() - c0)
    working = (pairs["locked"] > 0) & (pairs["key_rate_per_pulse"] > 0)
    kr = pairs["key_rate_per_pulse"].where(working, 0.0)
    per_net_sum = kr.groupby(pairs["network"]).sum().reindex(nets["network"]).to_numpy(dtype=float)
    per_net = {"pairs_above_plob": nets["pairs_above_plob"].to_numpy(dtype=float),
               "sum_key_rate": per_net_sum * _KEY_RATE_UNIT}
    vals = per_net[objective_name]
    se = float(vals.std(ddof=1) / math.sqrt(len(vals))) if len(vals) > 1 else None
    return {
        "objective": float(vals.mean()), "objective_se": se, "objective_name": objective_name,
        "networks": len(nets), "seed": int(seed), "distance_km": float(distance_km),
        "pairs_per_network": summ["pairs_per_network"],
        "pairs_above_plob": summ["pairs_above_plob"],
        "sum_key_rate_per_pulse": {"mean": float(per_net_sum.mean())},
        "yield": summ["yield"],
        "all_pairs_working_fraction": summ["all_pairs_working_fraction"],
        "modulator_yield": summ["modulator_yield"],
        "min_pair_key_rate_per_pulse": summ["min_pair_key_rate_per_pulse"],
        "median_pair_key_rate_per_pulse": float(np.median(kr.to_numpy(dtype=float))),
        "network_capability_km": summ["network_capability_km"],
        "pair_failure_causes": summ["pair_failure_causes"],
        "elapsed_s": round(time.perf_counter() - t0, 3), "cpu_s": round(time.process_time() - c0, 3),
    }


#: Device metrics of the nominal design in the before/after table: (section, key, label, unit).
DEVICE_METRICS = (
    ("transmitter", "vpi_V", "V_pi", "V"),
    ("transmitter", "im_visibility_dB", "IM visibility", "dB"),
    ("transmitter", "im_insertion_loss_dB", "IM insertion loss", "dB"),
    ("transmitter", "dbr_tuning_range_nm", "DBR tuning range", "nm"),
    ("transmitter", "bragg_nm", "Bragg wavelength", "nm"),
    ("ring", "q_intrinsic", "Q_i", ""),
    ("ring", "q_loaded", "Q_L", ""),
    ("ring", "fsr_GHz", "FSR", "GHz"),
    ("ring", "D2_over_2pi_kHz", "D2/2pi", "kHz"),
    ("ring", "extinction_dB", "ring extinction", "dB"),
)


def device_metrics(design) -> dict:
    """The nominal design's device metrics (``qchipnet ring`` / ``qchipnet transmitter`` evaluators)."""
    from ..pipeline import evaluate_ring, evaluate_transmitter

    ev = {"ring": evaluate_ring(design), "transmitter": evaluate_transmitter(design, chip_paths=False)}
    return {key: ev[sec].get(key) for sec, key, _, _ in DEVICE_METRICS}


# ------------------------------------------------------------------------------------------------- outputs


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    v = float(v)
    return f"{v:.4g}" if v != 0 else "0"


def _ratio(a, b) -> str:
    try:
        return f"{float(b) / float(a):.3f}" if a not in (None, 0) and b is not None else "-"
    except (TypeError, ValueError, ZeroDivisionError):
        return "-"


def before_after_markdown(res: dict) -> str:
    """The before/after table (Markdown) of an ``optimize.json`` dict."""
    b, a = res.get("before_mc") or {}, res.get("after_mc") or {}
    db, da = (res.get("device_metrics") or {}).get("before") or {}, (res.get("device_metrics") or {}).get("after") or {}

    def g(d, *path):
        for p in path:
            d = d.get(p) if isinstance(d, dict) else None
        return d

    rows = [
        (f"objective: {res['objective_name']} (unrelaxed MC)", g(b, "objective"), g(a, "objective")),
        ("  standard error of the MC mean", g(b, "objective_se"), g(a, "objective_se")),
        ("relaxed objective (optimiser)", g(res, "relaxed", "start"), g(res, "relaxed", "end")),
        ("pairs above PLOB, mean", g(b, "pairs_above_plob", "mean"), g(a, "pairs_above_plob", "mean")),
        ("pairs above PLOB, p5", g(b, "pairs_above_plob", "p5"), g(a, "pairs_above_plob", "p5")),
        ("networks with every pair above PLOB", g(b, "yield"), g(a, "yield")),
        ("all-pairs-working fraction", g(b, "all_pairs_working_fraction"), g(a, "all_pairs_working_fraction")),
        ("modulator yield", g(b, "modulator_yield"), g(a, "modulator_yield")),
        ("min pair key rate per network (mean, per pulse)", g(b, "min_pair_key_rate_per_pulse", "mean"),
         g(a, "min_pair_key_rate_per_pulse", "mean")),
        ("median pair key rate (per pulse)", g(b, "median_pair_key_rate_per_pulse"),
         g(a, "median_pair_key_rate_per_pulse")),
        ("N L / 2 (mean, km)", g(b, "network_capability_km", "mean"), g(a, "network_capability_km", "mean")),
    ]
    for sec, key, label, unit in DEVICE_METRICS:
        rows.append((f"{label}{f' ({unit})' if unit else ''}, nominal [{sec}]", db.get(key), da.get(key)))
    mc = (f"{g(b, 'networks')} sampled networks, seed {g(b, 'seed')}, {g(b, 'distance_km')} km"
          if b else "not evaluated")
    lines = [f"# qchipnet optimize: {res['objective_name']}", "",
             f"Objective: {res.get('objective_definition', '')}", "",
             (f"Monte Carlo (unrelaxed, `qchipnet yield --platform network`): {mc}; the same networks for both "
             "designs. Device metrics: the nominal design."), "",
             (f"Status: {res.get('status')}; stop: {res.get('stop_reason')}; {res.get('iterations')} iterations, "
             f"{_fmt(res.get('elapsed_s'))} s; gradient check max rel. error {_fmt(res.get('gradient_check_rel_err'))}."),
             "", *([(f"Perfect chips on the optimiser's networks (every pair locked, no chip-made error): relaxed "
                    f"objective {_fmt(res['objective_ceiling']['relaxed_perfect_chips'])} against "
                    f"{_fmt(res['objective_ceiling']['relaxed_start'])} for the start design: no chip design can "
                    f"improve this objective by more than x{_fmt(res['objective_ceiling']['max_improvement'])}."), ""]
                   if res.get("objective_ceiling") else []),
             "| quantity | start design | optimised design | optimised / start |", "|---|---|---|---|"]
    lines += [f"| {q} | {_fmt(x)} | {_fmt(y)} | {_ratio(x, y)} |" for q, x, y in rows]
    lines += ["", "## Design variables", "", "| variable | start | optimised | lower | upper | held by |",
              "|---|---|---|---|---|---|"]
    bound = {c["name"]: (f"design rule: {c['rule'][:160]}".replace("|", "/") if c["bound"] == "rule" else
                         c["bound"] + (" (binding)" if c.get("pushing") else ""))
             for c in res.get("binding_constraints", [])}
    for v in res.get("variables", []):
        lines.append(f"| {v['name']} | {_fmt(v['start'])} | {_fmt(v['end'])} | {_fmt(v['bounds'][0])} | "
                     f"{_fmt(v['bounds'][1])} | {bound.get(v['name'], '')} |")
    if res.get("rejected_steps"):
        lines += ["", "Steps rejected by a design rule (after every halving):", ""]
        lines += [f"- iteration {r['iteration']}: {r['reason']}" for r in res["rejected_steps"][:20]]
    return "\n".join(lines) + "\n"


def convergence_plot(res: dict, path: str | Path) -> Path:
    """Relaxed objective vs iteration, with the unrelaxed Monte Carlo values (+- 1 standard error) of the
    start and the optimised design at the ends; written atomically to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..wafer.store import atomic_write_bytes

    hist = res.get("history", [])
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    ax.plot([h["iteration"] for h in hist], [h["objective"] for h in hist], "o-", ms=3, label="relaxed objective")
    best_it = res.get("best_iteration", hist[-1]["iteration"] if hist else 0)
    for key, it, colour, label in (("before_mc", 0, "C3", "Monte Carlo, start design"),
                                   ("after_mc", best_it, "C2", "Monte Carlo, optimised design")):
        mc = res.get(key)
        if mc and mc.get("objective") is not None:
            ax.errorbar([it], [mc["objective"]], yerr=[mc.get("objective_se") or 0.0], fmt="s", color=colour,
                        capsize=3, label=f"{label} ({mc['networks']} networks)")
    ax.set_xlabel("iteration")
    unit = {"pairs_above_plob": "pairs per network", "sum_key_rate": "1e-9 bits per pulse, per network"}
    ax.set_ylabel(f"{res['objective_name']} ({unit.get(res['objective_name'], 'objective')})")
    ax.set_title(f"qchipnet optimize: {res['objective_name']} (T = {_fmt(res.get('temperature'))})", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return atomic_write_bytes(Path(path), buf.getvalue())


def objectives() -> dict[str, str]:
    """The objectives ``qchipnet optimize`` offers: those of ``optim.objective.OBJECTIVES`` that have an unrelaxed
    Monte Carlo counterpart here (:data:`UNRELAXED`), with the objective module's definitions."""
    try:
        from .objective import OBJECTIVES
    except ImportError:  # the relaxed objective is not installed: the names are still known
        return dict(UNRELAXED)
    return {k: v for k, v in OBJECTIVES.items() if k in UNRELAXED}


def _problem_factory():
    """``optim.objective.make_problem`` (a function so that tests can substitute a synthetic problem)."""
    from .objective import make_problem

    return make_problem


def _write_json(path: Path, obj: dict) -> None:
    from ..pipeline import to_jsonable
    from ..wafer.store import atomic_write_bytes

    atomic_write_bytes(path, (json.dumps(to_jsonable(obj), indent=2) + "\n").encode())


def _optimised_design(problem, x: np.ndarray, start_name: str):
    """``problem.to_design(x)`` (validated there) named ``<start>-opt``: the name pattern allows the suffix and a
    name is at most 64 characters, so the copy needs no second validation."""
    d = problem.to_design(x)
    name = start_name if start_name.endswith("-opt") else f"{start_name[:60]}-opt"
    return d.model_copy(update={"name": name})


def run_optimize(design, out: str | Path, *, objective: str = "pairs_above_plob", distance_km: float = 370.0,
                 budget_s: float = 600.0, networks: int = 64, max_iter: int = 40, seed: int = 1,
                 temperature: float | None = None, mc_networks: int = 200, mc_seed: int | None = None,
                 lr: float = 0.05, echo: Callable[[str], None] | None = None, make_problem=None) -> dict:
    """The whole ``qchipnet optimize``: returns the ``optimize.json`` dict and writes :data:`OUTPUTS` into
    ``out`` (which the caller has checked and locked).

    Order: relaxed problem -> gradient check at the start -> Monte Carlo of the start design -> optimisation
    (checkpoint after every improvement) -> Monte Carlo of the optimised design -> device metrics -> files.
    ``out/design.yaml`` and ``out/optimize.json`` are replaced atomically at the start (the start design,
    ``status: "running"``) and at every improvement (the best design so far), so an interrupted run (Ctrl-C,
    a kill) leaves a folder whose ``design.yaml`` is a valid design described by its ``optimize.json``;
    Ctrl-C writes ``status: "interrupted"`` and re-raises KeyboardInterrupt. ``mc_seed`` defaults to
    ``seed + 1``: the Monte Carlo's networks are not those the optimiser saw (no in-sample flattery).
    ``make_problem`` replaces :func:`qchipnet.optim.objective.make_problem` (tests).
    """
    from ..design import Design, design_hash, dump_design
    from ..wafer.store import atomic_write_bytes

    if make_problem is None:
        make_problem = _problem_factory()
    say = echo or (lambda s: None)
    out = Path(out)
    t0, c0 = time.perf_counter(), time.process_time()
    if not isinstance(design, Design):
        from ..pipeline import as_design

        design = as_design(design)
    if mc_seed is None:
        mc_seed = seed + 1 if seed < 2**63 - 1 else seed - 1
    say(f"building the relaxed objective {objective!r} ({networks} networks, seed {seed})")
    problem = make_problem(design, objective=objective, distance_km=distance_km, networks=networks, seed=seed,
                           temperature=temperature)
    definition = objectives().get(objective, UNRELAXED.get(objective, ""))
    lo, span = _span(problem)
    x0 = np.clip(np.asarray(problem.x0, dtype=float), lo, lo + span)
    res: dict[str, Any] = {
        "status": "running", "objective_name": objective, "objective_definition": definition,
        "unrelaxed_definition": UNRELAXED.get(objective), "before": None, "after": None, "improvement": None,
        "gradient_check_rel_err": None, "design_file": str(out / "design.yaml"), "iterations": 0,
        "elapsed_s": 0.0, "cpu_s": 0.0, "temperature": float(problem.temperature), "networks": int(problem.networks),
        "seed": int(problem.seed), "distance_km": float(distance_km), "mc_networks": int(mc_networks),
        "mc_seed": int(mc_seed), "start_design": design.name, "start_design_hash": design_hash(design),
        "design_hash": design_hash(design),
        "variables": [{"name": n, "start": float(a), "end": float(a), "bounds": [float(lw), float(lw + s)]}
                      for n, a, lw, s in zip(problem.names, x0, lo, span)],
        "binding_constraints": [], "relaxed": {"start": None, "end": None}, "stop_reason": None,
        "best_iteration": 0, "evaluations": 0, "rejected_steps": [], "history": [],
    }

    def checkpoint(best_design=None, **upd) -> None:
        res.update(upd)
        res["elapsed_s"] = round(time.perf_counter() - t0, 3)
        res["cpu_s"] = round(time.process_time() - c0, 3)
        if best_design is not None:
            atomic_write_bytes(out / "design.yaml", dump_design(best_design).encode())
            res["design_hash"] = design_hash(best_design)
        _write_json(out / "optimize.json", res)

    best_seen = {"f": -math.inf, "design": design}

    try:
        checkpoint(best_design=design)
        say("gradient check at the start design (central finite differences)")
        gc = gradient_check(problem, x0)
        checkpoint(gradient_check_rel_err=gc["rel_err"], gradient_check=gc)
        say(f"  max relative error {gc['rel_err']:.3g}")
        # the cap physics puts on any chip design: perfect chips on the optimiser's networks
        if hasattr(problem, "ceiling"):
            ceiling, start = problem.ceiling(x0), problem.value(x0)
            checkpoint(objective_ceiling={"relaxed_start": start, "relaxed_perfect_chips": ceiling,
                                          "max_improvement": ceiling / start if start > 0 else None,
                                          "definition": ("the relaxed objective on the same networks with every "
                                                         "pair locked and no chip-made error term (optim.objective."
                                                         "Problem.ceiling): no chip design can exceed it")})
            say(f"  perfect chips on the same networks: {ceiling:.6g} (at most x{ceiling / max(start, 1e-300):.3f})")
        say(f"Monte Carlo of the start design ({mc_networks} networks, seed {mc_seed})")
        before = mc_objective(design, objective, distance_km=distance_km, networks=mc_networks, seed=mc_seed)
        checkpoint(before=before["objective"], before_mc=before)
        say(f"  {objective} = {before['objective']:.6g} +- {before['objective_se'] or 0:.2g}")

        def on_iterate(it: Iterate, best_x: np.ndarray) -> None:
            res["history"].append(asdict(it))
            res["iterations"] = it.iteration
            if it.objective > best_seen["f"]:
                best_seen["f"] = it.objective
                res["best_iteration"] = it.iteration
                res["relaxed"] = {"start": res["history"][0]["objective"], "end": it.objective}
                for var, val in zip(res["variables"], it.x):
                    var["end"] = float(val)
                if it.iteration:
                    best_seen["design"] = _optimised_design(problem, np.asarray(it.x), design.name)
                    checkpoint(best_design=best_seen["design"])
                else:
                    checkpoint()
            else:
                checkpoint()

        say(f"optimising {len(problem.names)} variables (budget {budget_s:g} s, at most {max_iter} iterations)")
        opt = optimize(problem, budget_s=budget_s, max_iter=max_iter, lr=lr, callback=on_iterate, echo=say)
        res.update(iterations=opt.iterations, stop_reason=opt.stop_reason, evaluations=opt.evaluations,
                   rejected_steps=opt.rejected, optimizer=opt.settings, best_iteration=opt.best_iteration,
                   relaxed={"start": opt.objective0, "end": opt.objective},
                   binding_constraints=binding_constraints(problem, opt.x, opt.grad))
        for var, val in zip(res["variables"], opt.x):
            var["end"] = float(val)
        if opt.stop_reason == "interrupted":
            raise KeyboardInterrupt
        final = _optimised_design(problem, opt.x, design.name) if opt.best_iteration else design
        say(f"stopped: {opt.stop_reason}; Monte Carlo of the optimised design")
        after = mc_objective(final, objective, distance_km=distance_km, networks=mc_networks, seed=mc_seed)
        say(f"  {objective} = {after['objective']:.6g} +- {after['objective_se'] or 0:.2g}")
        res.update(after=after["objective"], after_mc=after,
                   improvement=after["objective"] / before["objective"] if before["objective"] > 0 else None)
        say("device metrics of both designs")
        res["device_metrics"] = {"before": device_metrics(design), "after": device_metrics(final)}
        res["status"] = "finished"
        checkpoint(best_design=final)
        atomic_write_bytes(out / "before_after.md", before_after_markdown(res).encode())
        convergence_plot(res, out / "convergence.png")
    except KeyboardInterrupt:
        res["status"] = "interrupted"
        checkpoint(best_design=best_seen["design"])  # the best design so far, with its optimize.json
        raise
    return res
