"""Padded batch sizes of the compiled (jax) evaluators.

A jitted function compiles one program per input shape. Padding every batch to a size from a short
ladder bounds the number of programs a study compiles while keeping the padding (wasted work) small:
powers of two up to :data:`FINE_ABOVE`, beyond it the next multiple of an eighth of the power of two
below (at most 12.5 % padding; at most 8 programs per octave of batch sizes).
"""

from __future__ import annotations

__all__ = ["FINE_ABOVE", "padded_size"]

#: Batch size above which sizes step by an eighth of an octave instead of doubling.
FINE_ABOVE = 4096


def padded_size(n: int, minimum: int = 1) -> int:
    """The batch size ``n`` is padded to (at least ``minimum``)."""
    n = max(int(n), int(minimum), 1)
    if n <= FINE_ABOVE:
        return 1 << (n - 1).bit_length()
    step = 1 << (n.bit_length() - 4)  # an eighth of the power of two at or below n
    return -(-n // step) * step
