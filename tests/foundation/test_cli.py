"""The ``qchipnet`` command: --help everywhere, --version, ``pdk`` and ``drc`` behaviour and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import klayout.db as kdb
import pytest

from qchipnet import __version__
from qchipnet.cli import app, main

from pathlib import Path

QCHIPNET = str(Path(sys.executable).parent / "qchipnet")  # the console script of this environment


def run(argv, capsys):
    """Run the console entry point in-process; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
        sys.exit(0)
    out = capsys.readouterr()
    return exc.value.code or 0, out.out, out.err


def _commands(group, prefix=()):
    import typer.main

    click_group = typer.main.get_command(group)
    stack = [(prefix, click_group)]
    while stack:
        pre, cmd = stack.pop()
        yield pre
        for name, sub in getattr(cmd, "commands", {}).items():
            stack.append((pre + (name,), sub))


@pytest.mark.parametrize("cmd", list(_commands(app)))
def test_help_on_every_subcommand(cmd, capsys):
    code, out, err = run([*cmd, "--help"], capsys)
    assert code == 0, err
    assert "Usage" in out


def test_version(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"qchipnet {__version__}"


def test_console_script_installed():
    r = subprocess.run([QCHIPNET, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and __version__ in r.stdout


@pytest.mark.parametrize("platform", ["sin", "inp"])
def test_pdk_json(platform, capsys):
    code, out, _ = run(["pdk", "--platform", platform, "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    assert d["platform"] == platform and d["layers"] and d["rules"] and d["process"] and d["cross_sections"]


def _gds(tmp_path, gap_um: float) -> str:
    ly = kdb.Layout()
    top = ly.create_cell("TOP")
    li = ly.layer(1, 0)
    top.shapes(li).insert(kdb.DBox(0, 0, 10, 10))
    top.shapes(li).insert(kdb.DBox(10 + gap_um, 0, 20 + gap_um, 10))
    p = tmp_path / f"g{gap_um}.gds"
    ly.write(str(p))
    return str(p)


def test_drc_clean_exit0(tmp_path, capsys):
    code, out, _ = run(["drc", _gds(tmp_path, 2.0), "--platform", "sin", "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["clean"] is True and d["violations"] == {} and "WG.S.1" in d["checked_rules"]


def test_drc_violation_exit1_and_report(tmp_path, capsys):
    rep = tmp_path / "m.lyrdb"
    code, out, _ = run(["drc", _gds(tmp_path, 0.5), "--platform", "sin", "--json", "--report", str(rep)], capsys)
    d = json.loads(out)
    assert code == 1 and d["clean"] is False and d["violations"] == {"WG.S.1": 1}
    assert rep.exists()


@pytest.mark.parametrize(
    "argv_tail, message",
    [
        (["missing.gds", "--platform", "sin"], "does not exist"),
        (["notgds.gds", "--platform", "sin"], "not a GDSII"),
        (["ok.gds", "--platform", "gaas"], "unknown platform"),
        (["unknown_layer.gds", "--platform", "sin"], "not defined by platform"),
    ],
)
def test_drc_bad_input_exit2_one_line(argv_tail, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notgds.gds").write_text("hello, not a gds")
    ly = kdb.Layout()
    top = ly.create_cell("TOP")
    top.shapes(ly.layer(1, 0)).insert(kdb.DBox(0, 0, 10, 10))
    ly.write(str(tmp_path / "ok.gds"))
    top.shapes(ly.layer(200, 0)).insert(kdb.DBox(0, 0, 10, 10))
    ly.write(str(tmp_path / "unknown_layer.gds"))
    code, out, err = run(["drc", *argv_tail], capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_drc_no_traceback_as_subprocess(tmp_path):
    r = subprocess.run([QCHIPNET, "drc", str(tmp_path / "nope.gds"), "--platform", "sin"], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "does not exist" in r.stderr
