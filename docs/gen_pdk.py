"""mkdocs-gen-files script: ``pdk.md``, the reference of both design kits generated from the kits
themselves (layers with their views, cross-sections, cells with their sax models), so the page
cannot drift from the code."""

import inspect

import mkdocs_gen_files
import qchipnet


def _first_line(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ").replace("|", "/")


lines = ["# Design kits", "",
         "`qchipnet.get_pdk(platform)` returns a gdsfactory `Pdk`; this page lists what it holds.", ""]
for platform in ("sin", "inp"):
    pdk = qchipnet.get_pdk(platform)
    lines += [f"## `{pdk.name}`", "", "### Layers", "", "| name | GDS | colour |", "|---|---|---|"]
    for name, view in pdk.layer_views.layer_views.items():
        color = view.fill_color.as_hex() if view.fill_color is not None else ""
        lines.append(f"| {name} | {view.layer[0]}/{view.layer[1]} | `{color}` |")
    lines += ["", "### Cross-sections", "", "| name | width (um) | routing radius (um) | description |",
              "|---|---|---|---|"]
    for name, fn in sorted(pdk.cross_sections.items()):
        xs = fn()
        lines.append(f"| `{name}` | {xs.width:g} | {xs.radius if xs.radius is not None else '-'} | {_first_line(fn)} |")
    lines += ["", "### Cells and models", "", "| cell | description | sax model |", "|---|---|---|"]
    for name, fn in sorted(pdk.cells.items()):
        model = pdk.models.get(name)
        m = f"`{getattr(model, '__name__', name)}`: {_first_line(model)}" if model else "built from its netlist"
        lines.append(f"| `{name}` | {_first_line(fn)} | {m} |")
    lines.append("")

with mkdocs_gen_files.open("pdk.md", "w") as f:
    f.write("\n".join(lines))
