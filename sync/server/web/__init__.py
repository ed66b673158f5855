"""The city web pages (issue 8): sign-in, overview, station pages, sync health, administration
and exports, served by the sync server itself under ``/web/`` (``/`` leads there).

:func:`install` adds them to the app of :func:`sync.server.app.create_app`. Accounts live in
their own file (:mod:`.accounts`); figures come from the desktop reports' indicator functions
(:mod:`.figures`); administration reuses :mod:`sync.server.admin`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add the web pages to the sync server's ``app`` (uses ``app.state.storage`` and
    ``app.state.data_dir``)."""
    from sync.server.web.routes import install as _install

    _install(app)
