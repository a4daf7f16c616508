"""``qchipnet optimize``: maximise a yield-weighted network objective over the design's continuous parameters
(issue 14), with gradients of the relaxed objective (``optim.objective``) and the before/after comparison by the
unrelaxed network Monte Carlo (``optim.run``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import echo_json

__all__ = ["check_options", "register"]

#: Allowed ranges of the options (checked before anything is loaded or computed).
RANGES = {
    "--distance-km": (1.0, 2000.0, "km"),
    "--budget-s": (1.0, 86400.0, "s"),
    "--networks": (1, 100_000, ""),
    "--max-iter": (0, 10_000, ""),
    "--seed": (0, 2**63 - 1, ""),
    "--mc-networks": (2, 1_000_000, ""),
    "--temperature": (1e-4, 1.0, ""),  # = optim.objective.make_problem's range (dimensionless sigmoid margins)
}


def check_options(objective: str, distance_km: float, budget_s: float, networks: int, max_iter: int, seed: int,
                  temperature: float | None, mc_networks: int) -> None:
    """One line naming the option, its value and the allowed range, for the first bad option."""
    from ..optim.run import objectives
    from ..validate import InputError, check_range

    names = objectives()
    if objective not in names:
        raise InputError(f"--objective {objective!r}: choose one of {list(names)}")
    for opt, val in (("--distance-km", distance_km), ("--budget-s", budget_s), ("--networks", networks),
                     ("--max-iter", max_iter), ("--seed", seed), ("--mc-networks", mc_networks)):
        lo, hi, unit = RANGES[opt]
        check_range(opt, val, lo, hi, unit)
    if temperature is not None:
        lo, hi, _ = RANGES["--temperature"]
        check_range("--temperature", temperature, lo, hi)


def register(app: typer.Typer) -> None:
    @app.command("optimize")
    def optimize_cmd(
        design: Annotated[Path | None, typer.Option("--design", help="Start design YAML/TOML (default: the built-in "
                                                    "design, the article's).")] = None,
        out: Annotated[Path, typer.Option("--out", help="Output folder: design.yaml, optimize.json, before_after.md, "
                                          "convergence.png; must be new or empty unless --overwrite.")] = ...,
        objective: Annotated[str, typer.Option("--objective", help="pairs_above_plob (expected pairs above the PLOB "
                                               "bound per sampled network) or sum_key_rate (expected sum of pair key "
                                               "rates per pulse); docs/optimize.md defines both.")] = "pairs_above_plob",
        distance_km: Annotated[float, typer.Option("--distance-km", help="Every pair's distance, 1-2000 km.")] = 370.0,
        budget_s: Annotated[float, typer.Option("--budget-s", help="Wall-clock budget of the optimisation loop, "
                                                "1-86400 s (the gradient check and the two Monte Carlo runs come on "
                                                "top).")] = 600.0,
        networks: Annotated[int, typer.Option("--networks", help="Sampled networks of the relaxed objective (common "
                                              "random numbers, fixed over the iterations), 1-100000.")] = 64,
        max_iter: Annotated[int, typer.Option("--max-iter", help="Most gradient steps, 0-10000.")] = 40,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the relaxed objective's samples, 0 to 2**63-1; the "
                                          "Monte Carlo uses seed + 1 (held-out networks). Same seed, same "
                                          "result.")] = 1,
        temperature: Annotated[float | None, typer.Option("--temperature", help="Sigmoid temperature of the relaxed "
                                                          "pass/fail on dimensionless margins, 1e-4 to 1 "
                                                          "(default 0.05; docs/optimize.md).")] = None,
        mc_networks: Annotated[int, typer.Option("--mc-networks", help="Networks of the unrelaxed before/after Monte "
                                                 "Carlo (same networks for both designs), 2-1000000.")] = 200,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a previous optimisation in "
                                                "--out.")] = False,
        json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout (progress stays on "
                                               "stderr).")] = False,
    ) -> None:
        """Optimise a design for the network objective: jax gradients of a relaxed Monte Carlo objective, bounded
        ascent over the design's continuous parameters, before/after by the full Monte Carlo.

        Ctrl-C: --out keeps the best design so far (design.yaml; optimize.json says "interrupted"), exit 130."""
        from ..design import load_design
        from ..optim.run import OUTPUTS, run_optimize
        from ..wafer.store import check_output_folder, clear_output_folder, folder_lock

        check_options(objective, distance_km, budget_s, networks, max_iter, seed, temperature, mc_networks)
        owns = OUTPUTS.__contains__
        check_output_folder(out, "overwrite" if overwrite else "new", owns, what="optimisation folder",
                            resumable=False)
        start = load_design(design)

        def progress(line: str) -> None:
            typer.echo(line, err=True)

        Path(out).mkdir(parents=True, exist_ok=True)
        with folder_lock(out, "optimisation folder"):
            if overwrite:
                clear_output_folder(out, owns)
            res = run_optimize(start, out, objective=objective, distance_km=distance_km, budget_s=budget_s,
                               networks=networks, max_iter=max_iter, seed=seed, temperature=temperature,
                               mc_networks=mc_networks, echo=progress)
        if json_out:
            echo_json({k: v for k, v in res.items() if k != "history"})
            return
        imp = res["improvement"]
        typer.echo(f"{res['objective_name']}: {res['before']:.6g} -> {res['after']:.6g} "
                   f"({f'x{imp:.3f}' if imp is not None else 'start is zero'}; unrelaxed Monte Carlo, "
                   f"{res['mc_networks']} networks, seed {res['mc_seed']})")
        typer.echo(f"{res['iterations']} iterations ({res['stop_reason']}), {res['elapsed_s']:.1f} s; "
                   f"gradient check max rel. error {res['gradient_check_rel_err']:.2g}")
        for c in res["binding_constraints"]:
            if c["bound"] == "rule":
                typer.echo(f"held by a design rule: {c['name']} = {c['value']:g} ({c['direction']}): {c['rule']}")
                continue
            typer.echo(f"at {c['bound']} bound: {c['name']} = {c['value']:g}"
                       + (" (binding: the objective would rise beyond it)" if c["pushing"] else ""))
        typer.echo(f"optimised design: {res['design_file']}; table: {Path(out) / 'before_after.md'}")
