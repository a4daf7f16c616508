"""Report figures drawn from saved results (``results.json``): no physics is computed here.

Each function takes the plain data written by ``qchipnet run`` and writes one PNG, returning its
path, or ``None`` when the data it needs is absent (the report then says so).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["keyrate_plot", "ring_plot", "transmitter_plot", "yield_plot"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> Path:
    from ..layouts.export import atomic_target

    path = Path(path)
    fig.tight_layout()
    with atomic_target(path) as tmp:  # never a half-written PNG under the final name
        fig.savefig(tmp, dpi=120, format="png", metadata={"Software": None})
    _plt().close(fig)
    return path


def keyrate_plot(network: dict, path) -> Path | None:
    """Key rate per pulse vs distance with the PLOB bound; the design's pairs marked."""
    curve = (network or {}).get("curve")
    if not curve:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    d = curve["distance_km"]
    ax.semilogy(d, [max(v, 1e-30) for v in curve["key_rate_per_pulse"]], "-", color="C0", label="SNS-TF-QKD (pair 1, optimised)")
    ax.semilogy(d, curve["plob_per_pulse"], "--", color="k", label="PLOB bound")
    for k, ev in enumerate(network.get("evaluations", [])):
        xs = [p["distance_km"] for p in ev["pairs"]]
        ys = [max(p["key_rate_per_pulse"], 1e-30) for p in ev["pairs"]]
        ax.semilogy(xs, ys, "o", ms=5, mfc="none", color=f"C{k + 1}", label=f"design pairs at {ev['distance_km']:g} km")
    ax.set_ylim(1e-12, 1e-2)
    ax.set_xlabel("Alice-Bob fibre distance (km)")
    ax.set_ylabel("secure key per pulse")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def ring_plot(ring: dict, path) -> Path | None:
    """Transmission around the pump resonance and D_int vs mode number, from saved arrays."""
    if not ring or not ring.get("spectrum"):
        return None
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.6))
    sp = ring["spectrum"]
    a1.plot(sp["detuning_MHz"], sp["transmission"], color="C0")
    a1.set_xlabel("detuning from pump resonance (MHz)")
    a1.set_ylabel("bus transmission")
    a1.set_title(f"FSR {ring.get('fsr_GHz', float('nan')):.3f} GHz, Q_i {ring.get('q_intrinsic', float('nan')) / 1e6:.1f} M",
                 fontsize=9)
    di = ring.get("dint")
    if di:
        a2.plot(di["mode"], di["dint_MHz"], "o-", ms=3, color="C1")
        a2.set_xlabel("mode number relative to pump")
        a2.set_ylabel("D_int / 2 pi (MHz)")
        a2.set_title(f"D2/2pi = {ring.get('D2_over_2pi_kHz', float('nan')):.0f} kHz (normal)", fontsize=9)
    for a in (a1, a2):
        a.grid(alpha=0.3)
    return _save(fig, path)


def transmitter_plot(tx: dict, path) -> Path | None:
    """IM transfer curve and DBR tuning map against the comb grid, from saved arrays."""
    if not tx or not (tx.get("im_curve") or tx.get("dbr_map")):
        return None
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.6))
    im = tx.get("im_curve")
    if im:
        a1.plot(im["voltage_V"], im["transmission_dB"], color="C0")
        a1.set_xlabel("drive voltage (V)")
        a1.set_ylabel("IM transmission (dB)")
        a1.set_title(f"V_pi {tx.get('vpi_V', float('nan')):.2f} V, visibility {tx.get('im_visibility_dB', float('nan')):.1f} dB",
                     fontsize=9)
    dbr = tx.get("dbr_map")
    if dbr:
        a2.plot(dbr["tuning"], dbr["wavelength_nm"], color="C1", label="DBR lasing wavelength")
        for ln, wl in zip(dbr.get("comb_lines", []), dbr.get("comb_wavelength_nm", [])):
            a2.axhline(wl, color="0.7", lw=0.6)
            a2.text(dbr["tuning"][-1], wl, f" {ln:+d}", fontsize=6, va="center")
        a2.set_xlabel(dbr.get("tuning_label", "tuning"))
        a2.set_ylabel("wavelength (nm)")
        a2.set_title("DBR tuning vs comb grid", fontsize=9)
    for a in (a1, a2):
        a.grid(alpha=0.3)
    return _save(fig, path)


def yield_plot(yields: dict, path) -> Path | None:
    """Yield with 95 % confidence intervals per wafer type."""
    rows = [(k, v) for k, v in (yields or {}).items() if v and v.get("yield") is not None]
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.8, 3.2))
    for i, (k, v) in enumerate(rows):
        lo, hi = v.get("yield_ci95", [v["yield"], v["yield"]])
        ax.errorbar([i], [v["yield"]], yerr=[[v["yield"] - lo], [hi - v["yield"]]], fmt="o", capsize=5)
    ax.set_xticks(range(len(rows)), [k for k, _ in rows])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("yield (95 % CI)")
    ax.grid(alpha=0.3)
    return _save(fig, path)
