"""PNG thumbnails of GDS masks: the renderer lives with the masks (:mod:`qchipnet.layouts.render`)."""

from __future__ import annotations

from ..layouts.render import render_gds

__all__ = ["render_gds"]
