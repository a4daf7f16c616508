"""Physical constants and the reference-system wavelength grid (SI unless the name says otherwise)."""

from __future__ import annotations

__all__ = [
    "C_M_PER_S",
    "H_J_S",
    "HBAR_J_S",
    "K_B_J_PER_K",
    "LAMBDA0_UM",
    "NU0_HZ",
    "COMB_FSR_GHZ",
]

C_M_PER_S = 299_792_458.0
H_J_S = 6.626_070_15e-34
HBAR_J_S = H_J_S / (2 * 3.141592653589793)
K_B_J_PER_K = 1.380_649e-23

#: Pump / central comb line lambda_0 of the reference system (paper_numbers.md).
LAMBDA0_UM = 1.54978
NU0_HZ = C_M_PER_S / (LAMBDA0_UM * 1e-6)
#: Free spectral range of the reference microcomb (paper_numbers.md), the WDM channel grid.
COMB_FSR_GHZ = 30.03
