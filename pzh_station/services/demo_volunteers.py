"""Demo volunteers and service records — filled in by the volunteers work (issue 4)."""

from __future__ import annotations

import random

from pzh_station.services.context import Services


def fill(services: Services, rng: random.Random) -> dict[str, int]:
    return {}
