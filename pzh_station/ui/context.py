"""What every page gets: the background tasks and the data dir."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pzh_station.ui.tasks import Tasks


@dataclass
class UiContext:
    data_dir: Path
    tasks: Tasks
    operator: str = ""
    #: restore a backup in the running app (set by the launcher: it closes the window, restores
    #: and starts again on the restored file); None where no launcher runs the app
    restore: Callable[[Path], None] | None = None
