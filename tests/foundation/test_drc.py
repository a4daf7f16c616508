"""DRC rules: for every geometric rule a layout that violates it exactly once is caught, and a layout
that just passes it is clean (all rules of the platform)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import klayout.db as kdb
import pytest

from qchipnet.pdk import get_platform
from qchipnet.pdk.drc import check_gds

PLATFORMS = ("sin", "inp")
BIG = 120.0  # um: wider than every width rule of both platforms


def _rules(platform):
    return [r for r in get_platform(platform).rules if r.kind != "bend_radius"]


def _box(x0, y0, x1, y1):
    return ("box", (x0, y0, x1, y1))


def _poly(pts):
    return ("poly", tuple(pts))


def _write(tmp_path: Path, platform: str, shapes: dict[str, list], dbu: float = 0.001, name: str = "t") -> Path:
    ly = kdb.Layout()
    ly.dbu = dbu
    top = ly.create_cell("TOP")
    layers = get_platform(platform).layers
    for lname, items in shapes.items():
        li = ly.layer(*layers[lname])
        for kind, data in items:
            if kind == "box":
                top.shapes(li).insert(kdb.DBox(*data))
            else:
                top.shapes(li).insert(kdb.DPolygon([kdb.DPoint(x, y) for x, y in data]))
    p = tmp_path / f"{name}.gds"
    ly.write(str(p))
    return p


def _complete(platform: str, shapes: dict) -> dict:
    """Add the enclosing layers a test shape needs (a pad needs metal under it), if absent."""
    for r in get_platform(platform).rules:
        if r.kind == "enclosure" and r.other in shapes and r.layer not in shapes:
            xs = [c for kind, d in shapes[r.other] for c in (d[0::2] if kind == "box" else [p[0] for p in d])]
            ys = [c for kind, d in shapes[r.other] for c in (d[1::2] if kind == "box" else [p[1] for p in d])]
            m = r.value + 1.0
            shapes[r.layer] = [_box(min(xs) - m, min(ys) - m, max(xs) + m, max(ys) + m)]
    return shapes


def _layout(rule, violate: bool) -> tuple[dict, float]:
    """Shapes that violate ``rule`` once (``violate``) or meet it exactly."""
    v = rule.value
    eps = 0.01 if violate else 0.0
    dbu = 0.001
    if rule.kind == "width":
        w = v - eps
        return {rule.layer: [_box(0, 0, w, max(4 * v, 20.0))]}, dbu
    if rule.kind == "space":
        s = v - eps
        return {rule.layer: [_box(0, 0, BIG, BIG), _box(BIG + s, 0, 2 * BIG + s, BIG)]}, dbu
    if rule.kind == "separation":
        s = v - eps
        return {rule.layer: [_box(0, 0, BIG, BIG)], rule.other: [_box(BIG + s, 0, 2 * BIG + s, BIG)]}, dbu
    if rule.kind == "enclosure":
        m_left = v - eps
        inner = _box(0, 0, BIG, BIG)
        outer = _box(-m_left, -v - 1, BIG + v + 1, BIG + v + 1)
        return {rule.layer: [outer], rule.other: [inner]}, dbu
    if rule.kind == "inside":
        fp = _box(0, 0, 1000, 1000)
        x0 = 1000 + 10 if violate else 500
        return {rule.layer: [fp], rule.other: [_box(x0, 100, x0 + 10, 110)]}, dbu
    if rule.kind == "area":
        side = 0.5  # above every width rule carrying an area rule
        side_y = v / side - (0.02 if violate else 0.0)
        return {rule.layer: [_box(0, 0, side, side_y)]}, dbu
    if rule.kind == "grid":
        dbu = 0.0001
        off = 0.0005 if violate else 0.0
        return {rule.layer: [_poly([(0, 0), (20, 0), (20 + off, 10 + off), (0, 10)])]}, dbu
    if rule.kind == "acute":
        ang = math.radians(v - 5 if violate else v + 1)  # apex angle of an isosceles triangle
        h = 30.0
        half = h * math.tan(ang / 2)
        return {rule.layer: [_poly([(0, -half), (h, 0), (0, half)])]}, dbu
    raise AssertionError(rule.kind)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_rule_caught_once(platform, tmp_path):
    for rule in _rules(platform):
        shapes, dbu = _layout(rule, violate=True)
        res = check_gds(_write(tmp_path, platform, shapes, dbu, name=rule.name.replace(".", "_")), platform)
        assert res.violations[rule.name] == 1, f"{rule.name}: {res.violations}"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_rule_just_passes(platform, tmp_path):
    for rule in _rules(platform):
        shapes, dbu = _layout(rule, violate=False)
        shapes = _complete(platform, shapes)
        res = check_gds(_write(tmp_path, platform, shapes, dbu, name=rule.name.replace(".", "_")), platform)
        assert res.clean, f"{rule.name} passing layout not clean: { {k: n for k, n in res.violations.items() if n} }"


def test_marker_database_written(tmp_path):
    rule = next(r for r in _rules("sin") if r.name == "WG.S.1")
    shapes, dbu = _layout(rule, violate=True)
    rep = tmp_path / "out.lyrdb"
    res = check_gds(_write(tmp_path, "sin", shapes, dbu), "sin", report=rep)
    assert not res.clean
    import klayout.rdb as rdb

    db = rdb.ReportDatabase("x")
    db.load(str(rep))
    assert db.num_items() == 1
    cats = {c.name(): c.num_items() for c in db.each_category()}
    assert cats["WG.S.1"] == 1


def test_unknown_layer_rejected(tmp_path):
    from qchipnet.validate import InputError

    ly = kdb.Layout()
    top = ly.create_cell("TOP")
    top.shapes(ly.layer(77, 3)).insert(kdb.Box(0, 0, 1000, 1000))
    p = tmp_path / "u.gds"
    ly.write(str(p))
    with pytest.raises(InputError, match="77/3"):
        check_gds(p, "sin")


def test_drc_exclude_removes_markers(tmp_path):
    rule = next(r for r in _rules("sin") if r.name == "WG.W.1")
    shapes, dbu = _layout(rule, violate=True)
    shapes["DRC_EXCLUDE"] = [_box(-10, -10, 100, 100)]
    assert check_gds(_write(tmp_path, "sin", shapes, dbu), "sin").clean
