"""Repeaterless and single-repeater capacity bounds (secure bits per channel use).

* PLOB bound (Pirandola, Laurenza, Ottaviani & Banchi, Nat. Commun. 8, 15043 (2017), Eq. (1)):
  the secret-key capacity of a pure-loss channel of transmittance ``eta`` is ``-log2(1 - eta)``.
  qchipnet evaluates it over the *fibre* transmittance between Alice and Bob (the convention of
  the reference article and of the SNS-TF-QKD experiments it compares with).
* Single-repeater bound (Pirandola, Commun. Phys. 2, 51 (2019), end-to-end capacity of a chain of
  pure-loss links; one untrusted middle node splits the channel into ``eta_a`` and ``eta_b``):
  ``-log2(1 - min(eta_a, eta_b))``, i.e. ``-log2(1 - sqrt(eta))`` for a symmetric link. Any
  twin-field protocol with a single middle station is bounded by it.

Both functions are numpy-vectorised over their inputs; valid for 0 <= eta <= 1.
"""

from __future__ import annotations

import numpy as np

from ..validate import check_range

__all__ = ["plob_bound", "single_repeater_bound", "fibre_transmittance"]


def fibre_transmittance(distance_km, loss_dB_per_km):
    """Power transmittance ``10**(-loss_dB_per_km * distance_km / 10)`` (vectorised)."""
    check_range("distance_km", distance_km, 0.0, 5000.0, "km")
    check_range("loss_dB_per_km", loss_dB_per_km, 0.0, 10.0, "dB/km")
    return 10.0 ** (-np.asarray(loss_dB_per_km, float) * np.asarray(distance_km, float) / 10.0)


def plob_bound(eta):
    """PLOB repeaterless bound ``-log2(1 - eta)`` in bits per channel use (Pirandola 2017, Eq. 1).

    ``eta`` is the end-to-end transmittance in [0, 1); ``eta = 1`` gives ``inf`` (rejected).
    """
    check_range("eta", eta, 0.0, 1.0, hi_open=True)
    return -np.log1p(-np.asarray(eta, float)) / np.log(2.0)


def single_repeater_bound(eta_a, eta_b=None):
    """Capacity with one middle node: ``-log2(1 - min(eta_a, eta_b))`` (Pirandola 2019).

    With ``eta_b`` omitted, ``eta_a`` is the *total* transmittance of a symmetric link and the
    bound is ``-log2(1 - sqrt(eta_a))``.
    """
    check_range("eta_a", eta_a, 0.0, 1.0, hi_open=True)
    if eta_b is None:
        e = np.sqrt(np.asarray(eta_a, float))
    else:
        check_range("eta_b", eta_b, 0.0, 1.0, hi_open=True)
        e = np.minimum(np.asarray(eta_a, float), np.asarray(eta_b, float))
    return -np.log1p(-e) / np.log(2.0)
