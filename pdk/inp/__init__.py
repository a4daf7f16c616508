"""Generic InP platform (``inp``).

Names are resolved lazily (PEP 562): ``qchipnet.pdk.inp.get_process`` or ``.geometry`` import no
layout library; ``LAYER`` or ``cross_sections`` import gdsfactory when first used.
"""

import importlib

_WHERE = {
    "CONNECTIVITY": "tech", "DEFAULT_XS": "tech",
    "LAYER": "tech", "get_layer_stack": "tech", "get_layer_views": "tech", "EpiStack": "geometry",
    "cross_sections": "xsections", "xs_deep": "xsections", "xs_m1": "xsections", "xs_m2": "xsections",
    "xs_pcontact": "xsections", "xs_shallow": "xsections", "RULES": "rules", "get_process": "process",
}

__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
