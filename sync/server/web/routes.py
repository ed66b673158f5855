"""The web pages' routes, added to the sync server's app by :func:`install`.

The pages are in :mod:`.signin`, :mod:`.views` (figures, health, export) and
:mod:`.admin_pages`; what they share (sessions, CSRF, rendering, who may see what) is
:mod:`.base`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from sync.server.storage import Storage
from sync.server.web import (
    admin_pages,
    bundle_pages,
    history,
    periods,
    photos_pages,
    returns,
    signin,
    users_pages,
    views,
)
from sync.server.web.accounts import DB_NAME, AccountStore
from sync.server.web.base import (
    HERE,
    SignInRequired,
    Web,
    WebError,
    environment,
    render,
    session_of,
)
from sync.server.web.throttle import SignInThrottle


def install(app: FastAPI) -> None:
    storage: Storage = app.state.storage
    accounts = AccountStore(
        Path(app.state.data_dir) / DB_NAME, now=storage.now, throttle=SignInThrottle(storage)
    )
    web = Web(storage, accounts, environment(), Path(app.state.data_dir))
    web.stations_on_page = app.state.settings.stations_on_page
    app.state.web = web
    app.mount("/web/static", StaticFiles(directory=str(HERE / "static")), name="web_static")
    app.include_router(_router(web))

    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError) -> Response:
        session = await run_in_threadpool(session_of, web, request)
        return render(
            web,
            request,
            "error.html",
            session,
            status=exc.status,
            message=exc.message,
            title="出错了",
        )

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        expired = "&expired=1" if exc.expired else ""
        return RedirectResponse(f"/web/login?next={quote(exc.next_url)}{expired}", status_code=303)


async def _to_pages() -> Response:
    return RedirectResponse("/web/", status_code=303)


async def _not_found(request: Request) -> Response:
    path = request.url.path
    # A form's own address opened as a page (an old link, a bookmark): its section's page.
    if path.startswith("/web/admin/users/") or path == "/web/admin/users/":
        return RedirectResponse("/web/admin/users", status_code=303)
    if path.startswith("/web/admin/"):
        return RedirectResponse("/web/admin", status_code=303)
    raise WebError(404, "没有这个页面。请从上方的菜单进入。")  # a Chinese page, not the API's JSON


def _router(web: Web) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/", _to_pages, methods=["GET"])
    router.add_api_route("/web", _to_pages, methods=["GET"])
    signin.add_routes(router, web)
    views.add_routes(router, web)
    returns.add_routes(router, web)
    periods.add_routes(router, web)
    history.add_routes(router, web)
    admin_pages.add_routes(router, web)
    users_pages.add_routes(router, web)
    photos_pages.add_routes(router, web)  # activity photos and evidence zips (issue 15)
    bundle_pages.add_routes(router, web)  # USB bundles uploaded by county staff (issue 15)
    router.add_api_route("/web/{rest:path}", _not_found, methods=["GET"])
    return router
