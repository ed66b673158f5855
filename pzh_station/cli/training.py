"""CLI commands of the training area (registered by its own work)."""

from __future__ import annotations


def register(cli) -> None:  # noqa: ANN001
    pass
