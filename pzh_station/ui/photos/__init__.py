"""Photos and scans attached to records (issue 15): the form's strip and the viewer.

The strip and the viewer (Pillow, the photo service) load when a form first asks for them: the
main window's status bar imports ``ui.photos.status`` at start, which must not pull them in.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pzh_station.ui.photos.strip import AttachmentStrip
    from pzh_station.ui.photos.viewer import PhotoViewer

__all__ = ["AttachmentStrip", "PhotoViewer"]
_HOMES = {"AttachmentStrip": "strip", "PhotoViewer": "viewer"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(name)
