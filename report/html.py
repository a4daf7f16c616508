"""The static HTML report of a run, built from the saved ``results.json`` only.

One self-contained page (inline CSS, no scripts, no external assets); figures are PNG files in
``figures/`` beside it, referenced relatively. :func:`build_report` re-draws every figure from the
saved data, so ``qchipnet report --run DIR`` regenerates the page without recomputing anything.
Sections (ids): design, masks, drc, ring, transmitter, keyrate, pairs, wafer, yield, provenance.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from ..validate import InputError
from .plots import keyrate_plot, ring_plot, transmitter_plot, yield_plot

__all__ = ["SECTIONS", "build_report", "load_results"]

SECTIONS: tuple[tuple[str, str], ...] = (
    ("design", "Design summary"),
    ("masks", "Masks"),
    ("drc", "DRC"),
    ("ring", "Server ring: transmission and D_int"),
    ("transmitter", "Transmitter: IM transfer and DBR tuning"),
    ("keyrate", "Key rate versus distance"),
    ("pairs", "Per-pair results"),
    ("wafer", "Wafer maps and histograms"),
    ("yield", "Yield"),
    ("provenance", "Provenance"),
)

_CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd;margin:4px}
.na{color:#a33;font-style:italic}.ok{color:#262}.bad{color:#a22;font-weight:bold}code{background:#f5f5f5;padding:1px 3px}
section{margin-bottom:2em}"""


def load_results(run_dir: str | Path) -> dict:
    p = Path(run_dir) / "results.json"
    if not p.exists():
        raise InputError(f"{str(p)!r} does not exist; run `qchipnet run --out {run_dir}` first")
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{str(p)!r} is not valid JSON: {exc.msg} (line {exc.lineno})") from None


def _e(x) -> str:
    return html.escape(str(x))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def _table(rows: list[dict], cols: list[str] | None = None) -> str:
    if not rows:
        return "<p class='na'>no rows</p>"
    cols = cols or list(rows[0])
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_e(_fmt(r.get(c, '')))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _kv(d: dict) -> str:
    return _table([{"key": k, "value": v} for k, v in d.items() if not isinstance(v, (dict, list)) or
                   (isinstance(v, list) and len(v) < 20)], ["key", "value"])


def _img(rel: str | None, alt: str) -> str:
    return f"<img src='{_e(rel)}' alt='{_e(alt)}'>" if rel else f"<p class='na'>{_e(alt)}: not available</p>"


def _status(stage: dict | None) -> str:
    if not stage:
        return "<p class='na'>stage not run</p>"
    if stage.get("status") != "ok":
        return f"<p class='na'>{_e(stage.get('status'))}: {_e(stage.get('reason', ''))}</p>"
    return ""


def _rel(out: Path, p: Path | None) -> str | None:
    return None if p is None else p.relative_to(out).as_posix()


def build_report(run_dir: str | Path) -> Path:
    """(Re)write ``run_dir/report.html`` and its figures from ``run_dir/results.json``."""
    out = Path(run_dir)
    res = load_results(out)
    fig = out / "figures"
    parts: dict[str, str] = {}

    d = res.get("design", {})
    parts["design"] = (f"<p>Design <b>{_e(d.get('name'))}</b>, hash <code>{_e(res.get('design_hash'))}</code>.</p>"
                       + "".join(f"<h3>{_e(k)}</h3>{_kv(v)}" for k, v in d.items() if isinstance(v, dict) and k != "network")
                       + (f"<h3>network</h3>{_table(d['network']['pairs'])}" if d.get("network") else ""))

    m = res.get("masks") or {}
    rows, imgs = [], []
    missing = "".join(f"<p class='na'>{_e(w['wafer'])} wafer: {_e(w.get('status'))}, {_e(w.get('reason'))}</p>"
                      for w in m.get("wafers", []) if w.get("status") == "unavailable")
    for w in [w for w in m.get("wafers", []) if w.get("status") != "unavailable"]:
        rows.append({"wafer": w["platform"], "gds": w["gds"], "dies": w["n_dies"], "variants": w.get("n_variants", 1),
                     "test structures": w.get("n_test_structures", 0), "size (kB)": round(w["gds_bytes"] / 1024, 1),
                     "write (s)": w.get("write_s")})
        thumb = out / w["thumbnail"] if w.get("thumbnail") else None
        imgs.append(_img(_rel(out, thumb) if thumb and thumb.exists() else None, f"{w['platform']} wafer thumbnail"))
    for c in m.get("chips", []):
        thumb = out / c["thumbnail"] if c.get("thumbnail") else None
        imgs.append(_img(_rel(out, thumb) if thumb and thumb.exists() else None, f"chip {c['name']}"))
    parts["masks"] = _status(m) + missing + _table(rows) + "".join(imgs)

    drows = []
    for w in [w for w in m.get("wafers", []) if w.get("status") != "unavailable"]:
        dr = w.get("drc") or {}
        drows.append({"layout": w["gds"], "mode": dr.get("mode"), "clean": dr.get("clean"),
                      "violations": json.dumps(dr.get("violations", {})), "time (s)": dr.get("elapsed_s")})
    for c in m.get("chips", []):
        dr = c.get("drc") or {}
        drows.append({"layout": c["gds"], "mode": "cell", "clean": dr.get("clean"),
                      "violations": json.dumps(dr.get("violations", {})), "time (s)": dr.get("elapsed_s")})
    parts["drc"] = _status(m) + missing + _table(drows)

    ring = res.get("ring") or {}
    parts["ring"] = _status(ring) + (_kv({k: v for k, v in ring.items() if k not in ("spectrum", "dint", "status")})
                                     if ring.get("status") == "ok" else "") + \
        _img(_rel(out, ring_plot(ring, fig / "ring.png")), "ring transmission and D_int")

    tx = res.get("transmitter") or {}
    parts["transmitter"] = _status(tx) + (_kv({k: v for k, v in tx.items() if k not in ("im_curve", "dbr_map", "status")})
                                          if tx.get("status") == "ok" else "") + \
        _img(_rel(out, transmitter_plot(tx, fig / "transmitter.png")), "IM transfer curve and DBR tuning map")

    net = res.get("network") or {}
    parts["keyrate"] = _status(net) + _img(_rel(out, keyrate_plot(net, fig / "keyrate.png")), "key rate vs distance")
    prow = []
    for ev in net.get("evaluations", []):
        for p in ev["pairs"]:
            prow.append({"distance (km)": p["distance_km"], "pair": p["pair"], "comb line": p["comb_line"],
                         "locked": p["locked"], "QBER_X": p["qber_x"], "e_d": p["e_d"],
                         "key/pulse": p["key_rate_per_pulse"], "PLOB/pulse": p["plob_per_pulse"],
                         "ratio to PLOB": p["ratio_to_plob"]})
    caps = "".join(f"<p>At {ev['distance_km']:g} km: network capability N L / 2 = {ev['network_capability_km']:.0f} km "
                   f"({ev['n_users']} users).</p>" for ev in net.get("evaluations", []))
    parts["pairs"] = _status(net) + caps + _table(prow)

    mc = res.get("yield") or {}
    wimgs = []
    for plat, s in (mc.get("studies") or {}).items():
        for f in s.get("figures", []):
            wimgs.append(_img(f if (out / f).exists() else None, f"{plat} {Path(f).stem}"))
    parts["wafer"] = _status(mc) + ("".join(wimgs) if wimgs else "<p class='na'>no wafer maps saved</p>")
    yrows = []
    for plat, s in (mc.get("studies") or {}).items():
        if s.get("status") == "unavailable":
            yrows.append({"wafer": plat, "dies": f"{s['status']}: {s['reason']}"})
            continue
        lo, hi = s.get("yield_ci95", [None, None])
        yrows.append({"wafer": plat, "dies": s.get("dies"), "yield": s.get("yield"), "95% CI low": lo, "95% CI high": hi,
                      "failures by spec": json.dumps(s.get("failures_by_spec", {}))})
    parts["yield"] = _status(mc) + _table(yrows) + _img(
        _rel(out, yield_plot(mc.get("studies"), fig / "yield.png")), "yield with confidence intervals")

    prov = res.get("provenance") or {}
    parts["provenance"] = _kv({k: v for k, v in prov.items() if not isinstance(v, dict)}) + \
        "".join(f"<h3>{_e(k)}</h3>{_kv(v)}" for k, v in prov.items() if isinstance(v, dict))

    body = "".join(f"<section id='{sid}'><h2>{_e(title)}</h2>{parts.get(sid, '')}</section>" for sid, title in SECTIONS)
    toc = "".join(f"<li><a href='#{sid}'>{_e(t)}</a></li>" for sid, t in SECTIONS)
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>qchipnet report: {_e(d.get('name'))}"
            f"</title><style>{_CSS}</style></head><body><h1>qchipnet report: {_e(d.get('name'))}</h1>"
            f"<ol>{toc}</ol>{body}</body></html>\n")
    path = out / "report.html"
    path.write_text(page)
    return path
