"""Process data of the ``inp`` platform (nominals, hierarchical sigmas, sources)."""

from __future__ import annotations

import functools

from ..process import DefectModel, ProcessData, ProcessParameter

__all__ = ["get_process"]

_T = "generic InP foundry tolerance (physics.md 5.1; Smit 2014, Augustin 2018) [T]"


@functools.lru_cache(maxsize=1)
def get_process() -> ProcessData:
    """Nominal values and variations of the generic InP process."""
    p = [
        ProcessParameter(name="width_bias_um", unit="um", nominal=0.0,
                         sigma_wafer=0.03, sigma_within_wafer=0.04, sigma_local=0.01, corr_length_mm=10.0,
                         source=f"ridge width +-50-100 nm (i-line/DUV): {_T}"),
        ProcessParameter(name="deep_etch_below_core_um", unit="um", nominal=1.0,
                         sigma_wafer=0.05, sigma_within_wafer=0.04, sigma_local=0.005, corr_length_mm=15.0,
                         source=f"etch depth +-50-100 nm: {_T}"),
        ProcessParameter(name="core_thickness_um", unit="um", nominal=0.5,
                         sigma_wafer=0.005, sigma_within_wafer=0.004, sigma_local=0.0005,
                         corr_length_mm=25.0, radial_fraction=0.6,
                         source=f"MOVPE layer thickness 1-2 %: {_T}"),
        ProcessParameter(name="top_clad_um", unit="um", nominal=1.5,
                         sigma_wafer=0.015, sigma_within_wafer=0.015, sigma_local=0.0,
                         corr_length_mm=25.0, radial_fraction=0.6,
                         source=f"MOVPE layer thickness 1-2 %: {_T}"),
        ProcessParameter(name="core_bandgap_um", unit="um", nominal=1.25,
                         sigma_wafer=0.006, sigma_within_wafer=0.005, sigma_local=0.0005,
                         corr_length_mm=25.0, radial_fraction=0.5,
                         source=f"Q-composition lambda_g +-5-10 nm: {_T}"),
        ProcessParameter(name="mmi_width_bias_um", unit="um", nominal=0.0,
                         sigma_wafer=0.01, sigma_within_wafer=0.01, sigma_local=0.005, corr_length_mm=10.0,
                         calibrated=True,
                         source="calibrated to the article's IM visibility: Fig. 2k read with its three failed "
                         "modulators as zeros (the reading that also gives its V_pi, 5.8 +- 1.4 V) leaves 34.7 +- 1.4 dB "
                         "for the working IMs; with the MZM's own MMIs (0.43 dB imbalance at nominal) the IM "
                         "visibility is that steep in the MMI width error, so the article's IMs imply an MMI width "
                         "error of ~15 nm total (vs a generic 50-100 nm litho bias [T]); the model gives 34.3 +- 1.7 dB "
                         "(qchipnet yield --platform network, article_reading). Local term = MMI-to-MMI mismatch"),
        ProcessParameter(name="grating_period_error_nm", unit="nm", nominal=0.0,
                         sigma_wafer=0.02, sigma_within_wafer=0.02, sigma_local=0.005,
                         source="e-beam written gratings, period error below 0.05 nm [T]"),
        ProcessParameter(name="arm_loss_imbalance_dB", unit="dB", nominal=0.0,
                         sigma_wafer=0.0, sigma_within_wafer=0.01, sigma_local=0.03, corr_length_mm=5.0,
                         calibrated=True,
                         source="sidewall roughness and contact absorption differences between the two arms of one "
                         "MZI; calibrated with mmi_width_bias_um to the article's IM visibility spread (see there)"),
        ProcessParameter(name="eo_coefficient_ln", unit="1 (natural log of the EO coefficient factor)", nominal=0.0,
                         sigma_wafer=0.20, sigma_within_wafer=0.30, sigma_local=0.34, corr_length_mm=15.0,
                         calibrated=True,
                         source="calibrated: log of the quadratic electro-optic coefficient factor (eo_rel = "
                         "exp(x), log-normal so it stays positive). V_pi ~ eo_rel^-1/2 for the quadratic term (the Pockels term dilutes it), so sigma_ln 0.50 gives "
                         "sigma(V_pi)/V_pi ~ 0.2, the paper's 5.8 +- 1.4 V over 120 modulators (about +-1.1 V "
                         "without its 3 failed devices). Geometry alone (core thickness 1-2 %, bandgap +-8 nm "
                         "-> +-3 % in V_pi) cannot explain it; doping/background-carrier profile and band-edge "
                         "detuning are not geometric (physics.md 4.2). Local term = PM-to-PM mismatch in one die"),
    ]
    d = [
        DefectModel(name="pm_failure", p_fail=3 / 120,
                    source="seed article: 3 of 120 EO phase modulators failed (Clopper-Pearson 95 % CI 0.5-7.1 %)"),
    ]
    return ProcessData(platform="inp", parameters={x.name: x for x in p}, defects={x.name: x for x in d})
