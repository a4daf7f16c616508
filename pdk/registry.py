"""Per-platform registries for gdsfactory cross-sections.

gdsfactory's ``@gf.xsection`` writes every decorated function into one module-global dict, and the
generic PDK (``gf.gpdk.get_generic_pdk()``) is built on that same dict. A platform that decorates its
cross-sections with it and uses the generic PDK as a base therefore lists every other platform's
cross-sections too (issue 15: "after building both PDKs the Si3N4 one lists InP cross-sections").
:func:`xsection_registry` gives each platform its own decorator and dict instead.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["xsection_registry"]


def xsection_registry() -> tuple[Callable, dict[str, Callable]]:
    """``(xsection, registry)``: a drop-in for ``@gf.xsection`` that fills ``registry`` only.

    The decorated function keeps gdsfactory's behaviour (a cross-section built with default
    arguments is named after the function, e.g. ``xs_sin``).
    """
    from gdsfactory.cross_section import xsection as _gf_xsection

    registry: dict[str, Callable] = {}
    default_names: dict[str, str] = {}

    def xsection(func: Callable) -> Callable:
        return _gf_xsection(func, xs_container=registry, xs_default_mapping=default_names)

    return xsection, registry
