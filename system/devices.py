"""Device metrics that the system evaluator consumes (the interface to the circuit layer).

The defaults are **the reference article's numbers** (seed 000, ``paper_numbers.md``; physics.md
sections 1.4-1.5 for the ring dispersion and section 3.2 for typical DBR values where the article gives
none). When a design is evaluated they are replaced by circuit results via :meth:`from_json`, which
accepts the dicts printed by ``qchipnet ring --json`` and ``qchipnet transmitter --json`` (unknown
keys there are ignored; missing keys keep the article's defaults).
"""

from __future__ import annotations

import math

from ..constants import NU0_HZ
from ..validate import Frozen, InputError, check_range

__all__ = ["ServerMetrics", "TransmitterMetrics"]


class ServerMetrics(Frozen):
    """Si3N4 microresonator of the server (microcomb) chip.

    Defaults: Q_i = 20 M, FSR = 30.03 GHz [paper]; critical coupling Q_c = Q_i (physics.md 1.3,
    gap 2.0 um); n_g = 1.589 and D2/2pi = -733 kHz for 2.8 um x 100 nm (physics.md 1.4 [V]);
    backscatter Gamma = 2 gamma/kappa = 0.1 (assumption, typical of Si3N4 rings, physics.md 2.1);
    nonlinear coefficient gamma = 0.081 /W/m (physics.md 1.5 [V]).
    Valid: Q in [1e5, 1e9], FSR 1-1000 GHz, D2 < 0 (normal dispersion: dark pulses).
    """

    q_intrinsic: float = 20.0e6
    q_coupling: float = 20.0e6
    fsr_GHz: float = 30.03
    D2_over_2pi_kHz: float = -733.0
    n_g: float = 1.589
    extinction_dB: float = 30.0
    backscatter_gamma_norm: float = 0.1
    gamma_per_W_per_m: float = 0.081
    resonance_wl_nm: float = 1549.78  # pumped resonance at 25 C before heater tuning [paper: lambda_0]
    width_um: float = 2.8  # fabricated ring width and film thickness: the comb's thermorefractive floor and heater
    thickness_nm: float = 100.0

    def __init__(self, **data):
        super().__init__(**data)
        check_range("q_intrinsic", self.q_intrinsic, 1e5, 1e9)
        check_range("q_coupling", self.q_coupling, 1e5, 1e9)
        check_range("fsr_GHz", self.fsr_GHz, 1.0, 1000.0, "GHz")
        check_range("D2_over_2pi_kHz", self.D2_over_2pi_kHz, -1e5, 0.0, "kHz", hi_open=True)
        check_range("n_g", self.n_g, 1.0, 5.0)
        check_range("extinction_dB", self.extinction_dB, 0.0, 80.0, "dB")
        check_range("backscatter_gamma_norm", self.backscatter_gamma_norm, 0.0, 10.0)
        check_range("gamma_per_W_per_m", self.gamma_per_W_per_m, 1e-3, 100.0, "1/(W m)")
        check_range("resonance_wl_nm", self.resonance_wl_nm, 1500.0, 1600.0, "nm")
        check_range("width_um", self.width_um, 0.1, 20.0, "um")
        check_range("thickness_nm", self.thickness_nm, 10.0, 2000.0, "nm")

    @property
    def q_loaded(self) -> float:
        return 1.0 / (1.0 / self.q_intrinsic + 1.0 / self.q_coupling)

    @property
    def coupling_ratio(self) -> float:
        """eta = kappa_ex / kappa = Q_L / Q_c."""
        return self.q_loaded / self.q_coupling

    @property
    def kappa_per_s(self) -> float:
        return 2 * math.pi * NU0_HZ / self.q_loaded

    @property
    def d2_norm(self) -> float:
        """Normalised dispersion d2 = -2 D2 / kappa (> 0 normal; physics.md 2.3)."""
        return -2 * (2 * math.pi * self.D2_over_2pi_kHz * 1e3) / self.kappa_per_s

    @classmethod
    def from_json(cls, data: dict) -> "ServerMetrics":
        """Build from ``qchipnet ring --json`` (keys fsr_GHz, n_g, D2_over_2pi_kHz, q_intrinsic,
        q_coupling, extinction_dB, ...; others ignored)."""
        if not isinstance(data, dict):
            raise InputError(f"ring metrics must be a JSON object, got {type(data).__name__}")
        keys = ("q_intrinsic", "q_coupling", "fsr_GHz", "D2_over_2pi_kHz", "n_g", "extinction_dB",
                "backscatter_gamma_norm", "gamma_per_W_per_m", "resonance_wl_nm", "width_um", "thickness_nm")
        return cls(**{k: float(data[k]) for k in keys if k in data and data[k] is not None})


class TransmitterMetrics(Frozen):
    """InP client transmitter chip (DBR lasers, modulators).

    Defaults: V_pi = 5.8 V, IM visibility 33.8 dB, DBR tuning 3.2 nm covering lines -5..+8
    [paper]; alpha_H = 3.5, k_c/2pi = 12 GHz, 5 mW slave power (physics.md 3.2 typical InP DBR
    [T]); free-running linewidth 1 MHz ("MHz-level" [paper]); insertion losses 3 dB (IM) and
    2 dB (PM) (assumption, generic InP platform); fibre-to-chip coupling 3 dB (assumption, lensed
    fibre to InP spot-size converter).
    """

    vpi_V: float = 5.8
    im_visibility_dB: float = 33.8
    im_insertion_loss_dB: float = 3.0
    pm_insertion_loss_dB: float = 2.0
    dbr_tuning_range_nm: float = 3.2
    reachable_comb_lines: list[int] = list(range(-5, 9))
    alpha_H: float = 3.5
    coupling_rate_GHz: float = 12.0
    free_running_linewidth_Hz: float = 1.0e6
    output_power_mW: float = 5.0
    chip_coupling_loss_dB: float = 3.0
    n_modulators: int = 6
    # DBR set-point model (``models.inp.dbr_laser_metrics`` of the built-in design; the article gives only
    # the 3.2-nm continuous range): Bragg peak at zero current and 25 C, cavity mode spacing, the
    # TEC window (+- ``circuits.devices.TEC_SPAN_K``) and the mirror rate k_c
    bragg_nm: float = 1550.835
    mode_spacing_nm: float = 0.478
    dbr_tec_window_nm: float = 2.796
    k_c_per_s: float | None = None  # None: 2 pi x coupling_rate_GHz
    pm_phase_error_rad: float = 1.0e-3  # DAC quantisation of the PM's four encoding phases (12 bit, 0-10 V)
    #: relative error of the decoy/signal levels set by the IM driver's DAC (``circuits.devices.IM_DAC``; the
    #: built-in design's value), the pair's intensity fluctuation in the decoy analysis; 0: exact levels
    im_intensity_error_rel: float = 5.3e-3

    def __init__(self, **data):
        super().__init__(**data)
        check_range("vpi_V", self.vpi_V, 0.0, 50.0, "V")
        check_range("im_visibility_dB", self.im_visibility_dB, 0.0, 80.0, "dB")
        check_range("im_insertion_loss_dB", self.im_insertion_loss_dB, 0.0, 30.0, "dB")
        check_range("pm_insertion_loss_dB", self.pm_insertion_loss_dB, 0.0, 30.0, "dB")
        check_range("dbr_tuning_range_nm", self.dbr_tuning_range_nm, 0.0, 100.0, "nm")
        check_range("alpha_H", self.alpha_H, 0.0, 20.0)
        check_range("coupling_rate_GHz", self.coupling_rate_GHz, 0.1, 1000.0, "GHz")
        check_range("free_running_linewidth_Hz", self.free_running_linewidth_Hz, 1.0, 1e9, "Hz")
        check_range("output_power_mW", self.output_power_mW, 1e-3, 1e3, "mW")
        check_range("chip_coupling_loss_dB", self.chip_coupling_loss_dB, 0.0, 30.0, "dB")
        check_range("n_modulators", self.n_modulators, 0, 100)
        check_range("bragg_nm", self.bragg_nm, 1500.0, 1600.0, "nm")
        check_range("mode_spacing_nm", self.mode_spacing_nm, 0.01, 10.0, "nm")
        check_range("dbr_tec_window_nm", self.dbr_tec_window_nm, 0.0, 50.0, "nm")
        if self.k_c_per_s is not None:
            check_range("k_c_per_s", self.k_c_per_s, 1e8, 1e13, "1/s")
        check_range("pm_phase_error_rad", self.pm_phase_error_rad, 0.0, math.pi, "rad")
        check_range("im_intensity_error_rel", self.im_intensity_error_rel, 0.0, 0.45)

    @property
    def mirror_rate_per_s(self) -> float:
        """k_c (1/s): the evaluated mirror rate, else 2 pi x ``coupling_rate_GHz``."""
        return self.k_c_per_s if self.k_c_per_s is not None else 2 * math.pi * self.coupling_rate_GHz * 1e9

    @property
    def working(self) -> bool:
        """A modulator with zero V_pi or zero visibility is a hardware failure (article, Fig. 2k)."""
        return self.vpi_V > 0 and self.im_visibility_dB > 0

    @classmethod
    def from_json(cls, data: dict) -> "TransmitterMetrics":
        """Build from ``qchipnet transmitter --json`` (keys vpi_V, im_visibility_dB,
        im_insertion_loss_dB, pm_insertion_loss_dB, dbr_tuning_range_nm, reachable_comb_lines,
        n_modulators, ...; others such as chip_size_um are ignored)."""
        if not isinstance(data, dict):
            raise InputError(f"transmitter metrics must be a JSON object, got {type(data).__name__}")
        out: dict = {}
        for k in ("vpi_V", "im_visibility_dB", "im_insertion_loss_dB", "pm_insertion_loss_dB",
                  "dbr_tuning_range_nm", "alpha_H", "coupling_rate_GHz", "free_running_linewidth_Hz",
                  "output_power_mW", "chip_coupling_loss_dB", "bragg_nm", "mode_spacing_nm", "dbr_tec_window_nm",
                  "k_c_per_s", "pm_phase_error_rad", "im_intensity_error_rel"):
            if k in data and data[k] is not None:
                out[k] = float(data[k])
        if data.get("linewidth_free_MHz") is not None and "free_running_linewidth_Hz" not in out:
            out["free_running_linewidth_Hz"] = float(data["linewidth_free_MHz"]) * 1e6
        if data.get("reachable_comb_lines") is not None:
            out["reachable_comb_lines"] = [int(v) for v in data["reachable_comb_lines"]]
        if data.get("n_modulators") is not None:
            out["n_modulators"] = int(data["n_modulators"])
        return cls(**out)
