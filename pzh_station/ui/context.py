"""What every page gets: the background tasks and the data dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pzh_station.ui.tasks import Tasks


@dataclass
class UiContext:
    data_dir: Path
    tasks: Tasks
    operator: str = ""
