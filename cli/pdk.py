"""``qchipnet pdk``: summary of a platform's PDK (layers, stack, cross-sections, rules, process)."""

from __future__ import annotations

import typer

from ._common import check_platform, echo_json

__all__ = ["register", "pdk_summary"]


def pdk_summary(platform: str) -> dict:
    """Plain-data summary of ``platform`` (what ``qchipnet pdk --json`` prints)."""
    from ..pdk import get_pdk, get_platform, lyp_path

    plat = get_platform(check_platform(platform))
    pdk = get_pdk(platform)
    stack = {
        name: {"layer": list(level.layer.layer) if hasattr(level.layer, "layer") else str(level.layer),
               "zmin_um": level.zmin, "thickness_um": level.thickness, "material": level.material,
               "sidewall_angle_deg": level.sidewall_angle}
        for name, level in pdk.layer_stack.layers.items()
    }
    return {
        "platform": platform,
        "pdk_name": pdk.name,
        "layers": {k: list(v) for k, v in plat.layers.items()},
        "layer_stack": stack,
        "cross_sections": sorted(pdk.cross_sections),
        "rules": [r.model_dump() for r in plat.rules],
        "process": {k: v.model_dump() for k, v in plat.process.parameters.items()},
        "defects": {k: v.model_dump() for k, v in plat.process.defects.items()},
        "wafer_diameter_mm": plat.wafer_diameter_mm,
        "edge_exclusion_mm": plat.edge_exclusion_mm,
        "layer_properties": str(lyp_path(platform)),
    }


def register(app: typer.Typer) -> None:
    @app.command("pdk")
    def pdk_cmd(
        platform: str = typer.Option("sin", "--platform", "-p", help="Platform: sin or inp."),
        json_out: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
        lyp: str = typer.Option(None, "--lyp", help="Also write the KLayout layer properties to this file."),
    ) -> None:
        """Summarise a platform's PDK: layers, layer stack, cross-sections, design rules, process data."""
        s = pdk_summary(platform)
        if lyp:
            from ..pdk import get_pdk

            get_pdk(platform).layer_views.to_lyp(lyp)
        if json_out:
            echo_json(s)
            return
        from rich.console import Console
        from rich.table import Table

        con = Console()
        con.print(f"[bold]{s['pdk_name']}[/]  wafer {s['wafer_diameter_mm']} mm, edge exclusion {s['edge_exclusion_mm']} mm")
        t = Table("layer", "gds", title="layers")
        for k, v in s["layers"].items():
            t.add_row(k, f"{v[0]}/{v[1]}")
        con.print(t)
        t = Table("level", "material", "zmin (um)", "thickness (um)", title="layer stack")
        for k, v in s["layer_stack"].items():
            t.add_row(k, str(v["material"]), f"{v['zmin_um']:.3f}", f"{v['thickness_um']:.3f}")
        con.print(t)
        con.print("cross-sections: " + ", ".join(s["cross_sections"]))
        t = Table("rule", "kind", "layer", "value", "rationale", title="design rules")
        for r in s["rules"]:
            t.add_row(r["name"], r["kind"], r["layer"] + (f"/{r['other']}" if r["other"] else ""), f"{r['value']:g}", r["rationale"])
        con.print(t)
        t = Table("parameter", "nominal", "sigma wafer", "within-wafer", "local", "source", title="process data")
        for k, v in s["process"].items():
            t.add_row(f"{k} [{v['unit']}]", f"{v['nominal']:g}", f"{v['sigma_wafer']:g}", f"{v['sigma_within_wafer']:g}",
                      f"{v['sigma_local']:g}", v["source"][:60])
        con.print(t)
