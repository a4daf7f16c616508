"""mkdocs-gen-files script: every ``examples/NN_*.py`` (jupytext percent format) becomes a Markdown
page under ``examples/`` of the site (code cells as code blocks, markdown cells as text). Pages are
rendered from the source, not executed, so the build is offline and fast; the scripts themselves run
in the test suite (``tests/examples``)."""

from pathlib import Path

import jupytext
import mkdocs_gen_files

ROOT = Path(__file__).resolve().parents[1]
nav_lines = []
for path in sorted((ROOT / "examples").glob("[0-9][0-9]_*.py")):
    nb = jupytext.reads(path.read_text(), fmt="py:percent")
    md = jupytext.writes(nb, fmt="md")
    if md.startswith("---"):
        md = md.split("---", 2)[2].lstrip()
    name = f"examples/{path.stem}.md"
    with mkdocs_gen_files.open(name, "w") as f:
        f.write(md + f"\n\n*Source: `examples/{path.name}` (run it with `python examples/{path.name}`).*\n")
    mkdocs_gen_files.set_edit_path(name, f"../examples/{path.name}")
