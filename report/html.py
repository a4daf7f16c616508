"""The static HTML report of a run, built from the saved ``results.json`` only.

One self-contained page (inline CSS, no scripts, no external assets); figures are PNG files in
``figures/`` beside it, referenced relatively. :func:`build_report` re-draws every figure from the
saved data (``results.json`` and each yield study's ``dies.parquet``), so ``qchipnet report --run
DIR`` regenerates the page without recomputing anything.

The page answers first: a summary (design and hash, DRC status, yield per platform with the
study's interval and per-wafer yields, network N L / 2, pairs above the PLOB bound, the worst pair,
key rates per pulse and in bit/s at a stated repetition rate), then navigation, the failure Pareto
and categorical pass/fail maps of every wafer, the key-rate and per-pair results, the devices, the
masks (chips rendered by :mod:`qchipnet.layouts.render`), a gallery grid of every wafer map and
histogram, the design and provenance. Sections (ids): see :data:`SECTIONS`.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from ..validate import InputError
from .plots import keyrate_plot, ring_plot, transmitter_plot, yield_plot

__all__ = ["SECTIONS", "build_report", "load_results", "repetition_rate_Hz"]

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("yield", "Yield: failure Pareto and pass/fail maps"),
    ("keyrate", "Key rate versus distance"),
    ("pairs", "Per-pair results"),
    ("ring", "Server ring: transmission and D_int"),
    ("transmitter", "Transmitter: IM transfer and DBR tuning"),
    ("masks", "Masks and chips"),
    ("drc", "DRC"),
    ("wafer", "Gallery: wafer maps and histograms"),
    ("design", "Design"),
    ("provenance", "Provenance"),
)

_CSS = """*{box-sizing:border-box}body{font-family:sans-serif;max-width:1200px;margin:0 auto;padding:0 16px 2em;color:#222}
h1{font-size:22px;margin:.6em 0 .3em}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:2px}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}img{max-width:100%;height:auto;border:1px solid #ddd}
.scroll{overflow-x:auto;max-width:100%}.na{color:#a33;font-style:italic}.ok{color:#262;font-weight:bold}
.bad{color:#a22;font-weight:bold}code{background:#f5f5f5;padding:1px 3px;word-break:break-all}section{margin-bottom:2em}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:4px 0;font-size:13px;z-index:1}
nav a{margin-right:12px;white-space:nowrap;display:inline-block}#summary{background:#f7faf7;border:1px solid #cdc;
padding:8px 14px;border-radius:4px}#summary h2{border:0;margin:.2em 0}.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{flex:1 1 260px;min-width:0;background:#fff;border:1px solid #ddd;border-radius:4px;padding:6px 10px;font-size:14px}
.card b.big{font-size:20px}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:8px}
.grid figure{margin:0}.grid figcaption{font-size:12px;color:#555}.pair{display:grid;
grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:8px}"""

#: Where the report's bit/s come from when the design states no pulse repetition rate.
REPETITION_NOTE = ("the highest pulse rate the design's detector gate allows (1 / gate_ns); the article states no "
                   "repetition rate, so this is an assumption, and per-pulse rates are shown beside it")


def repetition_rate_Hz(design: dict) -> float:
    """Pulse repetition rate used to state key rates in bit/s: 1 / (detector gate) of the design
    (1 GHz for the default 1 ns gate); see :data:`REPETITION_NOTE`."""
    gate_ns = float(((design or {}).get("detection") or {}).get("gate_ns") or 1.0)
    return 1e9 / gate_ns


def load_results(run_dir: str | Path) -> dict:
    p = Path(run_dir) / "results.json"
    if not p.is_file():
        raise InputError(f"{str(p)!r} does not exist; run `qchipnet run --out {run_dir}` first")
    if p.stat().st_size > 200_000_000:
        raise InputError(f"{str(p)!r} is {p.stat().st_size} bytes; not the results of a qchipnet run")
    try:
        res = json.loads(p.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{str(p)!r} is not UTF-8 text; not the results of a qchipnet run") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{str(p)!r} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:
        raise InputError(f"{str(p)!r} is nested too deeply") from None
    sections = ("design", "masks", "ring", "transmitter", "network", "yield", "provenance")
    if not isinstance(res, dict) or any(not isinstance(res.get(k) or {}, dict) for k in sections):
        raise InputError(f"{str(p)!r} is not the results of a qchipnet run (expected a mapping with 'design', "
                         "'masks', 'yield', ...)")
    return res


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
    return f"<div class='scroll'><table><tr>{head}</tr>{body}</table></div>"


def _kv(d: dict) -> str:
    return _table([{"key": k, "value": v} for k, v in d.items() if not isinstance(v, (dict, list)) or
                   (isinstance(v, list) and len(v) < 20)], ["key", "value"])


def _img(rel: str | None, alt: str) -> str:
    return f"<img src='{_e(rel)}' alt='{_e(alt)}'>" if rel else f"<p class='na'>{_e(alt)}: not available</p>"


def _fig(rel: str | None, caption: str) -> str:
    return f"<figure>{_img(rel, caption)}<figcaption>{_e(caption)}</figcaption></figure>" if rel else ""


def _si(v: float | None, unit: str) -> str:
    if v is None:
        return "n/a"
    for f, p in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m")):
        if abs(v) >= f:
            return f"{v / f:.3g} {p}{unit}"
    return f"{v:.3g} {unit}"


def _status(stage: dict | None) -> str:
    if not stage:
        return "<p class='na'>stage not run</p>"
    if stage.get("status") != "ok":
        return f"<p class='na'>{_e(stage.get('status'))}: {_e(stage.get('reason', ''))}</p>"
    return ""


def _rel(out: Path, p: Path | None) -> str | None:
    return None if p is None else p.relative_to(out).as_posix()


def _drc_status(m: dict) -> tuple[str, bool | None]:
    layouts = [w for w in m.get("wafers", []) if w.get("status") != "unavailable"] + list(m.get("chips", []))
    if not layouts:
        return "no masks", None
    checked = [x for x in layouts if (x.get("drc") or {}).get("clean") is not None]
    if not checked:
        return "not run", None
    bad = [x for x in checked if not x["drc"]["clean"]]
    if bad:
        n = sum(sum((x["drc"].get("violations") or {}).values()) for x in bad)
        return f"{n} violations in {', '.join(Path(x['gds']).name for x in bad)}", False
    return f"clean ({len(checked)} layouts: {len(m.get('wafers', []))} wafers, {len(m.get('chips', []))} chips)", True


def _pairs_summary(net: dict, rate_Hz: float) -> list[dict]:
    rows = []
    for ev in net.get("evaluations", []):
        pairs = ev.get("pairs") or []
        if not pairs:
            continue
        worst = min(pairs, key=lambda p: p.get("key_rate_per_pulse") or 0.0)
        above = sum(1 for p in pairs if (p.get("ratio_to_plob") or 0) > 1)
        krs = [p.get("key_rate_per_pulse") or 0.0 for p in pairs]
        rows.append({"distance (km)": ev["distance_km"], "N L / 2 (km)": ev.get("network_capability_km"),
                     "users": ev.get("n_users"), "pairs above PLOB": f"{above} of {len(pairs)}",
                     "worst pair": worst.get("pair"), "worst key/pulse": worst.get("key_rate_per_pulse"),
                     "worst key (bit/s)": _si((worst.get("key_rate_per_pulse") or 0.0) * rate_Hz, "bit/s"),
                     "worst / PLOB": worst.get("ratio_to_plob"),
                     "median key (bit/s)": _si(float(sorted(krs)[len(krs) // 2]) * rate_Hz, "bit/s")})
    return rows


def _summary(res: dict, rate_Hz: float) -> str:
    d = res.get("design", {})
    m = res.get("masks") or {}
    drc_txt, drc_ok = _drc_status(m)
    cls = "ok" if drc_ok else ("bad" if drc_ok is False else "na")
    cards = [f"<div class='card'>Design <b>{_e(d.get('name'))}</b><br>hash <code>{_e(res.get('design_hash'))}</code></div>",
             f"<div class='card'>DRC: <span class='{cls}'>{_e(drc_txt)}</span></div>"]
    for plat, s in ((res.get("yield") or {}).get("studies") or {}).items():
        if s.get("yield") is None:
            cards.append(f"<div class='card'>{_e(plat)} yield: <span class='na'>{_e(s.get('status', 'n/a'))}</span></div>")
            continue
        lo, hi = (s.get("yield_ci95") or [None, None])[:2]
        method = f", {s['yield_ci95_method']}" if s.get("yield_ci95_method") else ""
        ci = f" (95 % interval {lo:.1%} - {hi:.1%}{method})" if lo is not None and hi is not None else ""
        per = s.get("per_wafer_yield") or []
        shown = ", ".join(f"{float(w.get('yield') or 0.0):.1%}" for w in per[:12]) + (" ..." if len(per) > 12 else "")
        pw = f"<br><small>per wafer: {_e(shown)}</small>" if per else ""
        cards.append(f"<div class='card'>{_e(plat)} yield <b class='big'>{s['yield']:.1%}</b>{_e(ci)}<br>"
                     f"<small>{_e(s.get('dies'))} dies, seed {_e(s.get('seed'))}</small>{pw}</div>")
    net = res.get("network") or {}
    rows = _pairs_summary(net, rate_Hz)
    for r in rows:
        cards.append(f"<div class='card'>At {r['distance (km)']:g} km: N L / 2 = <b class='big'>"
                     f"{(r['N L / 2 (km)'] or 0):.0f} km</b> ({_e(r['users'])} users)<br>pairs above PLOB: "
                     f"<b>{_e(r['pairs above PLOB'])}</b><br>worst pair {_e(r['worst pair'])}: "
                     f"{_e(_fmt(r['worst key/pulse']))} bit/pulse = {_e(r['worst key (bit/s)'])}, "
                     f"{_e(_fmt(r['worst / PLOB']))} x PLOB</div>")
    if not rows:
        cards.append("<div class='card'><span class='na'>network: not available</span></div>")
    note = (f"<p><small>Key rates in bit/s at a repetition rate of {_e(_si(rate_Hz, 'Hz'))}: {_e(REPETITION_NOTE)}."
            "</small></p>")
    return f"<div class='cards'>{''.join(cards)}</div>{note}"


def _study_dies(out: Path, s: dict):
    """The saved dies of a yield study (None when the file is absent or unreadable)."""
    p = out / (s.get("run_dir") or "") / "dies.parquet"
    if not s.get("run_dir") or not p.is_file():
        return None
    import pandas as pd

    try:
        return pd.read_parquet(p)
    except (OSError, ValueError):
        return None


def build_report(run_dir: str | Path) -> Path:
    """(Re)write ``run_dir/report.html`` and its figures from ``run_dir/results.json``."""
    out = Path(run_dir)
    res = load_results(out)
    try:
        return _build(out, res)
    except InputError:
        raise
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        raise InputError(f"{str(out / 'results.json')!r} is not in the form `qchipnet run` writes "
                         f"({type(exc).__name__}: {str(exc)[:80]})") from None


def _build(out: Path, res: dict) -> Path:
    from ..layouts.export import atomic_target
    from .passfail import failure_pareto_plot, passfail_maps

    fig = out / "figures"
    parts: dict[str, str] = {}
    d = res.get("design", {})
    rate = repetition_rate_Hz(d)
    parts["summary"] = _summary(res, rate)

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
        imgs.append(_fig(_rel(out, thumb) if thumb and thumb.is_file() else None, f"{w['platform']} wafer"))
    for c in m.get("chips", []):
        thumb = out / c["thumbnail"] if c.get("thumbnail") else None
        imgs.append(_fig(_rel(out, thumb) if thumb and thumb.is_file() else None, f"chip {c['name']}"))
    parts["masks"] = _status(m) + missing + _table(rows) + f"<div class='pair'>{''.join(imgs)}</div>"

    drows = []
    for w in [w for w in m.get("wafers", []) if w.get("status") != "unavailable"] + list(m.get("chips", [])):
        dr = w.get("drc") or {}
        viol = {k: v for k, v in (dr.get("violations") or {}).items() if v}
        drows.append({"layout": w["gds"], "mode": dr.get("mode", "cell"), "clean": dr.get("clean"),
                      "violations": ", ".join(f"{k}: {v}" for k, v in viol.items()) or "none",
                      "time (s)": dr.get("elapsed_s")})
    parts["drc"] = _status(m) + missing + _table(drows)

    ring = res.get("ring") or {}
    parts["ring"] = _status(ring) + _img(_rel(out, ring_plot(ring, fig / "ring.png")), "ring transmission and D_int") + \
        (_kv({k: v for k, v in ring.items() if k not in ("spectrum", "dint", "status")}) if ring.get("status") == "ok" else "")

    tx = res.get("transmitter") or {}
    parts["transmitter"] = _status(tx) + \
        _img(_rel(out, transmitter_plot(tx, fig / "transmitter.png")), "IM transfer curve and DBR tuning map") + \
        (_kv({k: v for k, v in tx.items() if k not in ("im_curve", "dbr_map", "status")}) if tx.get("status") == "ok" else "")

    net = res.get("network") or {}
    parts["keyrate"] = _status(net) + _img(_rel(out, keyrate_plot(net, fig / "keyrate.png")), "key rate vs distance") + \
        _table(_pairs_summary(net, rate))
    prow = []
    for ev in net.get("evaluations", []):
        for p in ev["pairs"]:
            kr = p.get("key_rate_per_pulse")
            prow.append({"distance (km)": p["distance_km"], "pair": p["pair"], "comb line": p["comb_line"],
                         "locked": p["locked"], "QBER_X": p["qber_x"], "e_d": p["e_d"],
                         "key/pulse": kr, "key (bit/s)": _si((kr or 0.0) * rate, "bit/s"),
                         "PLOB/pulse": p["plob_per_pulse"], "ratio to PLOB": p["ratio_to_plob"]})
    sens = net.get("sensitivity") or {}
    srows = [{"pair": p["pair"], **{k: v[i] for k, v in sens.items() if k != "what" and isinstance(v, list)}}
             for i, p in enumerate(net.get("design_pairs") or []) if sens]
    parts["pairs"] = _status(net) + _table(prow) + (
        "<h3>Sensitivity to what the article does not give</h3><p>d ln(key rate / PLOB) / d ln(x) per pair at the "
        "design's own distances (central differences at the optimised protocol)</p>" + _table(srows) if srows else "")

    mc = res.get("yield") or {}
    studies = mc.get("studies") or {}
    ysec, gallery = [], []
    yrows = []
    for plat, s in studies.items():
        if s.get("status") == "unavailable" or s.get("yield") is None:
            yrows.append({"platform": plat, "dies": f"{s.get('status')}: {s.get('reason')}"})
            continue
        lo, hi = (s.get("yield_ci95") or [None, None])[:2]
        yrows.append({"platform": plat, "dies": s.get("dies"), "yield": s.get("yield"), "95% low": lo, "95% high": hi,
                      "wafers": len(s.get("per_wafer_yield") or []) or ""})
        pareto = failure_pareto_plot(s.get("failures_by_spec"), s.get("dies") or 0, fig / f"pareto_{plat}.png",
                                     f"{plat}: failing dies per limit ({s.get('dies')} dies)")
        dies = _study_dies(out, s)
        maps = passfail_maps(dies, list(s.get("failures_by_spec") or {}), fig / f"passfail_{plat}.png",
                             f"{plat}: pass/fail per die (colour: first failing limit)") if dies is not None else None
        per = s.get("per_wafer_yield") or []
        per_table = _table([{"wafer": w.get("wafer"), "dies": w.get("dies"), "yield": w.get("yield")} for w in per]) \
            if per else ""
        ysec.append(f"<h3>{_e(plat)}</h3><div class='pair'>{_fig(_rel(out, pareto), f'{plat} failure Pareto')}"
                    f"<div>{per_table}</div></div>" + ("" if pareto else "<p>no die fails any limit</p>")
                    + (_fig(_rel(out, maps), f"{plat} pass/fail maps, every wafer") if maps else
                       "<p class='na'>pass/fail maps: dies.parquet not available</p>"))
        for f in s.get("figures", []):
            if (out / f).is_file():
                gallery.append(_fig(f, f"{plat} {Path(f).stem}"))
    nmc = mc.get("network") or {}
    if nmc.get("pairs_above_plob"):
        pa, cap, r = nmc["pairs_above_plob"], nmc["network_capability_km"], nmc["ratio_to_plob"]

        def num(v, fmt):  # a statistic over no working pair is None
            return "n/a" if v is None else format(v, fmt)

        ysec.insert(0, f"<h3>Networks of fabricated chips</h3><p>{_e(nmc['networks'])} sampled networks (one server die, "
                    f"{2 * int(nmc['pairs_per_network'])} client dies drawn from one wafer) at {_e(nmc['distance_km'])} km: "
                    f"pairs above PLOB mean {num(pa['mean'], '.2f')} (p5 {num(pa['p5'], '.0f')}); every pair above PLOB "
                    f"in {nmc['yield']:.1%} of networks; N L / 2 mean {num(cap['mean'], '.0f')} km; PLOB ratio of "
                    f"working pairs p5 {num(r['p5'], '.2f')}, p50 {num(r['p50'], '.2f')}, p95 {num(r['p95'], '.2f')}; "
                    f"modulator yield "
                    f"{nmc['modulator_yield']:.2%}</p>" + _table([{"cause": k, "failed pairs": v}
                                                                for k, v in nmc.get("pair_failure_causes", {}).items()])
                    + "".join(_fig(f, Path(f).stem) for f in nmc.get("figures", []) if (out / f).is_file()))
    parts["yield"] = _status(mc) + _table(yrows) + _img(
        _rel(out, yield_plot(studies, fig / "yield.png")), "yield with confidence intervals") + "".join(ysec)
    parts["wafer"] = _status(mc) + (f"<div class='grid'>{''.join(gallery)}</div>" if gallery else
                                    "<p class='na'>no wafer maps saved</p>")

    prov = res.get("provenance") or {}
    parts["provenance"] = _kv({k: v for k, v in prov.items() if not isinstance(v, dict)}) + \
        "".join(f"<h3>{_e(k)}</h3>{_kv(v)}" for k, v in prov.items() if isinstance(v, dict))

    body = "".join(f"<section id='{sid}'><h2>{_e(title)}</h2>{parts.get(sid, '')}</section>" for sid, title in SECTIONS)
    nav = "".join(f"<a href='#{sid}'>{_e(t.split(':')[0])}</a>" for sid, t in SECTIONS)
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>qchipnet report: "
            f"{_e(d.get('name'))}</title><style>{_CSS}</style></head><body><h1>qchipnet report: {_e(d.get('name'))}</h1>"
            f"<nav>{nav}</nav>{body}</body></html>\n")
    path = out / "report.html"
    with atomic_target(path) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    return path
