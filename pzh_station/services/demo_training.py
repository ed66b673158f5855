"""Demo training classes, sessions and attendance — filled in by the training work (issue 3)."""

from __future__ import annotations

import random

from pzh_station.services.context import Services


def fill(services: Services, rng: random.Random) -> dict[str, int]:
    return {}
