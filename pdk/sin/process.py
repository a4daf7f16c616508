"""Process data of the ``sin`` platform (nominals, hierarchical sigmas, sources)."""

from __future__ import annotations

import functools

from ..process import DefectModel, ProcessData, ProcessParameter

__all__ = ["get_process"]

_OE_2023 = "Opt. Express 31(14), 23651 (2023), Bayesian inference of SiN ring process variations"


@functools.lru_cache(maxsize=1)
def get_process() -> ProcessData:
    """Nominal values and variations of the Si3N4 process."""
    p = [
        ProcessParameter(
            name="thickness_nm", unit="nm", nominal=100.0,
            sigma_wafer=0.5, sigma_within_wafer=0.6, sigma_local=0.05,
            corr_length_mm=30.0, radial_fraction=0.7,
            source=f"{_OE_2023}: sigma 0.8 nm (total), split 0.5 wafer / 0.6 within-wafer [T]; radial LPCVD bow",
        ),
        ProcessParameter(
            name="width_bias_um", unit="um", nominal=0.0,
            sigma_wafer=0.015, sigma_within_wafer=0.023, sigma_local=0.003,
            corr_length_mm=15.0,
            source=f"{_OE_2023}: sigma 28 nm (total) lithography/etch bias; gaps shrink by the same bias",
        ),
        ProcessParameter(
            name="ring_loss_dB_per_m", unit="dB/m", nominal=1.40,
            sigma_wafer=0.04, sigma_within_wafer=0.06, sigma_local=0.196,
            corr_length_mm=20.0, calibrated=True,
            source="loss of the PUMPED ring mode. Nominal calibrated: the paper's Q_i = 20.0 M of the reference ring "
            "(2.8 um x 100 nm, n_g 1.5925) is alpha = 2 pi n_g / (lambda Q_i) = 1.40 dB/m; it absorbs what makes the "
            "ring mode differ from the paper's 1.7 dB/m straight test guides (which stay loss_dB_per_m; physics.md "
            "1.1). The paper's +-2.8 M is a scatter over the mode numbers of ONE microresonator (its Fig. 2c), so it "
            "is the local term here: the pumped mode is one draw from the ring's mode-to-mode scatter, sigma 14 % "
            "= 0.196 dB/m. Die-to-die (wafer + within-wafer, 5 % together) is an assumption [T]: wafer-scale "
            "Si3N4 keeps its mean loss within a few per cent across 4-inch wafers (Liu et al., Nat. Commun. 12, 2236 "
            "(2021): mean Q > 30 M over full wafers from tens of thousands of resonances). Used by the ring of "
            "every evaluator (CLI, main job, Monte Carlo, sax oracle)",
        ),
        ProcessParameter(
            name="loss_dB_per_m", unit="dB/m", nominal=1.7,
            sigma_wafer=0.1, sigma_within_wafer=0.15, sigma_local=0.0,
            corr_length_mm=20.0,
            source="seed article: 1.7 dB/m propagation loss of the 100 nm Si3N4 straight guide (bus, tapers, "
            "cut-back test guides; the ring uses ring_loss_dB_per_m)",
        ),
        ProcessParameter(
            name="sidewall_angle_deg", unit="deg", nominal=5.0,
            sigma_wafer=1.0, sigma_within_wafer=0.5, sigma_local=0.0,
            source="typical dry-etch sidewall of thin LPCVD nitride [T]",
        ),
        ProcessParameter(
            name="heater_resistance_rel", unit="1", nominal=1.0,
            sigma_wafer=0.03, sigma_within_wafer=0.02, sigma_local=0.01,
            source="Pt film sheet-resistance uniformity, typical +-5 % [T]",
        ),
    ]
    d = [
        DefectModel(name="ring_defect", p_fail=0.005,
                    source="particle defect density 0.1 /cm^2 over a 5 mm^2 ring area [T]"),
    ]
    return ProcessData(platform="sin", parameters={x.name: x for x in p}, defects={x.name: x for x in d})
