"""Photos and scans attached to records (issue 15): the form's strip and the viewer."""

from pzh_station.ui.photos.strip import AttachmentStrip
from pzh_station.ui.photos.viewer import PhotoViewer

__all__ = ["AttachmentStrip", "PhotoViewer"]
