"""The training area's UI: classes, sessions, roster, attendance grid."""

from pzh_station.ui.training.page import TrainingPage

__all__ = ["TrainingPage"]
