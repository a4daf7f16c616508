"""``qchipnet sensitivity``: which process parameters drive the yield and the key rate (``optim.sensitivity``)."""

from __future__ import annotations

import typer

from ._common import echo_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("sensitivity")
    def sensitivity_cmd(
        design: str = typer.Option(None, "--design", help="Design YAML/TOML (default: the built-in design); its "
                                    "process overrides apply."),
        platform: str = typer.Option("inp", "--platform", "-p", help="inp (transmitter dies), sin (server dies) or "
                                     "pair (two client dies and a server die at 370 km)."),
        dies: int = typer.Option(2000, "--dies", help="Dies (chip pairs for pair) of the common-random-number set, "
                                 "16-100000; the Sobol analysis uses the largest power of two not above it."),
        seed: int = typer.Option(1, "--seed", help="Seed, 0 to 2**63-1; same seed, same output, byte for byte."),
        target_yield: float = typer.Option(0.9, "--target-yield", help="Yield the tolerance answer aims at, in (0, 1)."),
        corners_k: int = typer.Option(3, "--corners-k", help="Dominant parameters combined at +-3 sigma (2^k corners), "
                                      "1-6 and at most the study's number of parameters."),
        json_out: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout (progress stays on "
                                      "stderr)."),
    ) -> None:
        """Process sensitivity: gradients to every mean and sigma, Sobol indices, +-3 sigma corners, tolerances."""
        import time

        from ..design import load_design
        from ..optim.sensitivity import make_sensitivity, run_sensitivity

        t0 = time.perf_counter()
        cfg = make_sensitivity(platform, dies, seed, target_yield, corners_k, design=load_design(design),
                               design_path=str(design) if design else None,
                               names={"platform": "--platform", "dies": "--dies", "seed": "--seed",
                                      "target_yield": "--target-yield", "corners_k": "--corners-k"})
        with _progress() as progress:
            result = run_sensitivity(cfg, progress)
        typer.echo(f"sensitivity: {result['evaluations']} units evaluated in {time.perf_counter() - t0:.1f} s",
                   err=True)
        if json_out:
            echo_json(result)
            return
        _print(result)


def _progress():
    """A progress callback on stderr: a live bar on a terminal, one line per stage otherwise."""
    import contextlib
    import sys

    @contextlib.contextmanager
    def cm():
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            bar = Progress(console=Console(stderr=True), transient=True)
            tasks: dict[str, int] = {}
            bar.start()

            def step(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done)

            try:
                yield step
            finally:
                bar.stop()
        else:
            seen: set[str] = set()

            def step(stage: str, done: int, total: int) -> None:
                if stage not in seen:
                    seen.add(stage)
                    typer.echo(f"sensitivity: {stage} (up to {total} units)", err=True)

            yield step

    return cm()


def _fmt(x, spec: str = ".3g") -> str:
    return "-" if x is None else format(x, spec)


def _print(r: dict) -> None:
    import math

    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(f"[bold]{r['platform']}[/]: {r['dies']} {'pairs' if r['platform'] == 'pair' else 'dies'}, seed "
              f"{r['seed']}, design {r['design'] or 'built-in'}")
    con.print(f"yield {r['yield']:.1%} +- {r['yield_se']:.1%} (without defects {r['yield_without_defects']:.1%}); "
              f"{r['objective']} mean {r['objective_mean']:.3g}")
    con.print(f"ranking by {r['ranking_basis']}")
    sob = r["sobol"]
    g = r["gradient"]["per_parameter"]
    tol = r["tolerance"]["per_parameter"]
    t = Table("#", "parameter", "sigma_total", "ST pass (95 %)", f"ST {r['objective']} (95 %)",
              title="process parameters, most influential first (Sobol total indices)")

    def st(key: str, name: str) -> str:
        ind = sob.get(key, {}).get("indices")
        if not ind or name not in ind:
            return "-"
        return f"{ind[name]['ST']:.2f} +- {ind[name]['ST_conf95']:.2f}"

    for i, name in enumerate(r["ranking"], 1):
        p = r["parameters"][name]
        t.add_row(str(i), name, f"{p['sigma_total']:.3g} {p['unit'].split(' ')[0]}", st("pass", name),
                  st(r["objective"], name))
    con.print(t)
    t = Table("parameter", "dY / +1 sigma of mean", "dY / +10 % sigma", f"sigma scale for Y = {r['target_yield']:g}",
              title="yield gradients (+- standard error) and tolerance")
    for name in r["ranking"]:
        e = g[name]
        s = tol[name]["sigma_scale"]
        t.add_row(name, f"{e['d_yield_per_1sigma_mean_shift']:+.3f} +- {e['d_yield_per_1sigma_mean_shift_se']:.3f}",
                  f"{e['d_yield_per_10pct_sigma']:+.3f} +- {e['d_yield_per_10pct_sigma_se']:.3f}",
                  _fmt(s, ".3f") if s is not None else "unreachable alone")
    con.print(t)
    a = r["tolerance"]["all_sigmas"]
    con.print(f"all sigmas together: {a['status']}" + (f", scale {a['sigma_scale']:.3f} (yield "
                                                       f"{a['yield_at_scale']:.1%})" if a["sigma_scale"] is not None
                                                       else f" (yield {a['yield_with_sigma_zero']:.1%} at zero sigma)"))
    top = r["ranking"][:r["corners_k"]]
    con.print("corner parameters: " + ", ".join(f"{i} {n}" for i, n in enumerate(top, 1)))
    t = Table(f"+-3 sigma of {' '.join(str(i) for i in range(1, len(top) + 1))}", "pass", "failed limits",
              r["objective"], title=f"corners of the {r['corners_k']} dominant parameters (others nominal, no defect)")
    for c in r["corners"]:
        signs = " ".join({1: "+", -1: "-", 0: "0"}[int(math.copysign(1, v)) if v else 0]
                         for v in (c["offsets_sigma"][n] for n in top))
        t.add_row("nominal" if c["corner"] == "nominal" else signs, "yes" if c["pass"] else "no",
                  ", ".join(c["failed_limits"]) or "-", f"{c[r['objective']]:.3g}")
    con.print(t)
