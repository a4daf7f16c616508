"""qchipnet: an open design flow for chip-based twin-field QKD networks.

From parametric photonic layout (gdsfactory) through mode-solver (meow) and S-parameter (sax)
models and circuits, to the secure key rate of every chip pair (SNS-TF-QKD) and the yield of a
whole wafer. Importing qchipnet has no side effects: no PDK is activated, no global sax or jax
setting is changed, and no file is written.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
