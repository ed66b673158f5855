"""The web pages' routes, added to the sync server's app by :func:`install`.

Every page needs a signed-in user (anonymous requests are sent to the sign-in page); every form
is a POST carrying the session's CSRF token (the sign-in form: a token in a cookie and the form,
"double submit"). A county user sees and manages only the stations of their county: each
station, code and device is looked up and checked against the user before anything is shown or
done, and one of another county answers 404, as if it did not exist. Bad input answers a 4xx page
in Chinese, never a 500.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from sync.server import admin
from sync.server.storage import CHINA, Code, Device, Station, Storage
from sync.server.web import figures
from sync.server.web.accounts import DB_NAME, AccountStore, Session, User

log = logging.getLogger("pzh.sync.web")
HERE = Path(__file__).resolve().parent
COOKIE = "pzh_web_session"
LOGIN_COOKIE = "pzh_web_login"  # the sign-in form's CSRF token (double submit)
MAX_FORM = 16 * 1024
PUBLIC_URL_ENV = "PZH_SYNC_PUBLIC_URL"  # the address printed on enrollment cards, if set
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # ECharts draws with inline styles; scripts only from our own files (no inline script).
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline';"
    " script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}
NOTICES = {  # ?ok=… after a form, fixed texts (nothing from the request is echoed)
    "station": "文化站已创建。可在下方为它发放邀请码。",
    "revoked": "设备已停用，它将无法再同步。",
}


class WebError(Exception):
    """A page that cannot be shown: ``status`` and a Chinese message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


# -- formatting -------------------------------------------------------------------------------
def _when(ms: int | None) -> str:
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, CHINA).strftime("%Y-%m-%d %H:%M")


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    if digits == 0:
        return f"{round(value):,}"
    return f"{value:,.{digits}f}"


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _skew(ms: int | None) -> str:
    if ms is None:
        return "—"
    s = ms / 1000
    sign = "快" if s > 0 else "慢"
    a = abs(s)
    if a < 60:
        return f"{sign}{a:.0f}秒"
    if a < 3600:
        return f"{sign}{a / 60:.0f}分钟"
    if a < 86400 * 2:
        return f"{sign}{a / 3600:.1f}小时"
    return f"{sign}{a / 86400:.0f}天"


def _safe_next(value: str | None) -> str:
    """Only our own pages after sign-in (never another site: no open redirect)."""
    if value and value.startswith("/web/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/web/"


@dataclass
class Web:
    storage: Storage
    accounts: AccountStore
    replica: figures.ReplicaReader | None
    env: Environment

    # -- who may see what --------------------------------------------------------------------
    def stations_for(self, user: User) -> list[Station]:
        return [s for s in self.storage.list_stations() if user.sees_county(s.county)]

    def station_for(self, user: User, station_id: str) -> Station:
        st = self.storage.get_station(station_id) if station_id and len(station_id) <= 100 else None
        if st is None or not user.sees_county(st.county):
            raise WebError(404, "没有这个文化站，或您无权查看它。")
        return st

    def device_for(self, user: User, device_id: str) -> tuple[Device, Station]:
        dev = self.storage.get_device(device_id) if device_id and len(device_id) <= 100 else None
        if dev is None:
            raise WebError(404, "没有这个设备，或您无权管理它。")
        try:
            return dev, self.station_for(user, dev.station_id)
        except WebError:
            raise WebError(404, "没有这个设备，或您无权管理它。") from None

    def code_for(self, user: User, code: str) -> tuple[Code, Station]:
        for c in self.storage.list_codes():
            if c.code == code:
                try:
                    return c, self.station_for(user, c.station_id)
                except WebError:
                    break
        raise WebError(404, "没有这个邀请码，或您无权查看它。")

    def devices_for(self, stations: list[Station]) -> list[Device]:
        ids = {s.id for s in stations}
        return [d for d in self.storage.list_devices() if d.station_id in ids]

    def conn(self):
        if self.replica is None:
            raise WebError(503, "本服务器的存储不支持统计页面（需要 SQLite 存储）。")
        return self.replica.conn()

    def today(self):
        return figures.china_today(self.storage.now())


def install(app: FastAPI) -> None:
    storage: Storage = app.state.storage
    data_dir = Path(app.state.data_dir)
    accounts = AccountStore(data_dir / DB_NAME, now=storage.now)
    path = getattr(storage, "path", None)
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, num=_num, pct=_pct, skew=_skew)
    web = Web(storage, accounts, figures.ReplicaReader(path) if path else None, env)
    app.state.web = web
    app.mount("/web/static", StaticFiles(directory=str(HERE / "static")), name="web_static")
    app.include_router(_router(web))

    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError) -> Response:
        session = await run_in_threadpool(_session_of, web, request)
        return _render(
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
        return RedirectResponse(f"/web/login?next={quote(exc.next_url)}", status_code=303)


# -- helpers shared by the routes ---------------------------------------------------------------
def _session_of(web: Web, request: Request) -> Session | None:
    return web.accounts.session(request.cookies.get(COOKIE))


def _require(web: Web, request: Request) -> Session:
    session = _session_of(web, request)
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(_safe_next(target))
    return session


def _render(
    web: Web,
    request: Request,
    template: str,
    session: Session | None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    html = web.env.get_template(template).render(
        user=session.user if session else None,
        csrf=session.csrf if session else "",
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


async def _form(request: Request) -> dict[str, str]:
    """A small url-encoded form (first value of each field); anything else is refused."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise WebError(415, "表单格式不正确，请在页面上重新提交。")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM:
            raise WebError(413, "提交的内容过长。")
    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebError(400, "表单内容无法识别，请在页面上重新提交。") from exc
    return {k: v[0] for k, v in parsed.items()}


def _check_csrf(form: dict[str, str], expected: str | None) -> None:
    token = form.get("csrf", "")
    if not expected or not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise WebError(403, "表单已过期或来源不明，未做任何改动。请刷新页面后重新提交。")


def _year(web: Web, request: Request) -> int:
    today = web.today()
    text = request.query_params.get("year", "")
    if not text:
        return today.year
    if not text.isdigit() or not 2000 <= int(text) <= today.year + 1:
        raise WebError(400, f"年份不正确：请选择2000至{today.year + 1}年之间的年份。")
    return int(text)


def _years(web: Web) -> list[int]:
    this = web.today().year
    return list(range(this, this - 11, -1))


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


def _server_address(request: Request) -> str:
    return (os.environ.get(PUBLIC_URL_ENV) or str(request.base_url)).rstrip("/")


def _download(data: bytes, filename: str, media_type: str) -> Response:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )


# -- the routes -----------------------------------------------------------------------------------
def _router(web: Web) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    storage = web.storage

    def page(fn: Callable[[Request, Session], Response]) -> Callable[[Request], Any]:
        """A GET page: signed-in session, work in a worker thread (SQLite blocks)."""

        async def handler(request: Request) -> Response:
            def run() -> Response:
                return fn(request, _require(web, request))

            return await run_in_threadpool(run)

        handler.__name__ = fn.__name__
        return handler

    def action(
        fn: Callable[[Request, Session, dict[str, str]], Response],
    ) -> Callable[[Request], Any]:
        """A POST form: signed-in session, CSRF token checked before anything is done."""

        async def handler(request: Request) -> Response:
            session = await run_in_threadpool(_require, web, request)
            form = await _form(request)
            _check_csrf(form, session.csrf)
            return await run_in_threadpool(fn, request, session, form)

        handler.__name__ = fn.__name__
        return handler

    @router.get("/")
    async def root() -> Response:
        return RedirectResponse("/web/", status_code=303)

    @router.get("/web")
    async def web_root() -> Response:
        return RedirectResponse("/web/", status_code=303)

    # -- sign-in ---------------------------------------------------------------------------------
    @router.get("/web/login")
    async def login_page(request: Request) -> Response:
        nxt = _safe_next(request.query_params.get("next"))
        if await run_in_threadpool(_session_of, web, request):
            return RedirectResponse(nxt, status_code=303)
        return _login_form(request, nxt)

    def _login_form(
        request: Request, nxt: str, *, error: str = "", status: int = 200, name: str = ""
    ) -> Response:
        token = secrets.token_urlsafe(24)
        resp = _render(
            web,
            request,
            "login.html",
            None,
            status=status,
            login_csrf=token,
            next=nxt,
            error=error,
            name=name,
            title="登录",
        )
        resp.set_cookie(
            LOGIN_COOKIE,
            token,
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path="/web/",
        )
        return resp

    @router.post("/web/login")
    async def login(request: Request) -> Response:
        form = await _form(request)
        _check_csrf(form, request.cookies.get(LOGIN_COOKIE))
        nxt = _safe_next(form.get("next"))
        name = form.get("name", "").strip()[:100]
        address = request.client.host if request.client else "?"
        wait = web.accounts.throttled(name, address)
        if wait:
            minutes = max(1, (wait + 59) // 60)
            return _login_form(
                request,
                nxt,
                status=429,
                name=name,
                error=f"登录失败次数过多，请{minutes}分钟后再试。",
            )
        user = await run_in_threadpool(
            web.accounts.authenticate, name, form.get("password", ""), address
        )
        if user is None:
            return _login_form(request, nxt, status=401, name=name, error="用户名或密码不正确。")
        token = await run_in_threadpool(web.accounts.start_session, user)
        log.info("web sign-in: %s (%s %s)", user.name, user.role, user.county)
        resp = RedirectResponse(nxt, status_code=303)
        resp.set_cookie(
            COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/"
        )
        resp.delete_cookie(LOGIN_COOKIE, path="/web/")
        return resp

    @router.post("/web/logout")
    async def logout(request: Request) -> Response:
        session = await run_in_threadpool(_session_of, web, request)
        if session is not None:
            form = await _form(request)
            _check_csrf(form, session.csrf)
            await run_in_threadpool(web.accounts.end_session, request.cookies.get(COOKIE))
        resp = RedirectResponse("/web/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    # -- overview and station pages ----------------------------------------------------------------
    def _overview(session: Session, year: int) -> figures.Overview:
        stations = web.stations_for(session.user)
        return figures.overview(
            web.conn(),
            stations,
            year,
            today=web.today(),
            devices=web.devices_for(stations),
            citywide=session.user.role == "city",
        )

    def overview_page(request: Request, session: Session) -> Response:
        year = _year(web, request)
        ov = _overview(session, year)
        now = storage.now()
        chart = {
            "counties": [c.name for c in ov.counties],
            "activities": [c.values["activities"] for c in ov.counties],
            "activities_target": [round(c.values["activities_target"], 1) for c in ov.counties],
            "stations": [s.name for s in ov.stations],
            "per_resident": [
                None
                if s.values["visits_per_resident"] is None
                else round(s.values["visits_per_resident"], 3)
                for s in ov.stations
            ],
            "per_resident_target": round(
                figures.indicators.plan_targets()["visits_per_resident_per_year"]
                * ov.period.share_of_year_gone,
                3,
            ),
        }
        return _render(
            web,
            request,
            "overview.html",
            session,
            title=f"{year}年 概览",
            ov=ov,
            year=year,
            years=_years(web),
            chart=chart,
            headers_row=figures.table_headers(),
            silent={s.station_id for s in ov.stations if figures.silent(s.last_sync_ms, now)},
        )

    router.add_api_route("/web/", page(overview_page), methods=["GET"])

    def station_page(request: Request, session: Session) -> Response:
        station = web.station_for(session.user, request.path_params["station_id"])
        year = _year(web, request)
        data = figures.station_year(web.conn(), station, year, today=web.today())
        from pzh_core.domain import refdata

        chart = {
            "months": [f"{m['month']}月" for m in data["months"]],
            "activities": [m["activities"] for m in data["months"]],
            "person_visits": [m["person_visits"] for m in data["months"]],
        }
        devices = storage.list_devices(station_id=station.id)
        codes = storage.list_codes(station_id=station.id)[:20]
        return _render(
            web,
            request,
            "station.html",
            session,
            title=station.name,
            station=station,
            year=year,
            years=_years(web),
            data=data,
            chart=chart,
            keys=figures.OVERVIEW_KEYS,
            monthly_keys=figures.MONTHLY_KEYS,
            label=figures.label,
            devices=devices,
            codes=codes,
            now=storage.now(),
            kinds=refdata.labels("activity_kinds"),
            modes=refdata.labels("delivery_modes"),
            notice=NOTICES.get(request.query_params.get("ok", "")),
        )

    router.add_api_route("/web/station/{station_id}", page(station_page), methods=["GET"])

    # -- sync health ---------------------------------------------------------------------------------
    def health_page(request: Request, session: Session) -> Response:
        stations = web.stations_for(session.user)
        names = {s.id: s for s in stations}
        rows = [r for r in admin.sync_health(storage) if r["station_id"] in names]
        now = storage.now()
        last = figures.last_sync_by_station([d for d in web.devices_for(stations)])
        summary = []
        for s in stations:
            devs = [r for r in rows if r["station_id"] == s.id]
            summary.append(
                {
                    "station": s,
                    "devices": sum(1 for r in devs if not r["revoked"]),
                    "last_sync_ms": last.get(s.id),
                    "silent": figures.silent(last.get(s.id), now),
                    "changes_today": sum(r["changes_today"] for r in devs),
                    "errors": sum(1 for r in devs if r["last_error"] and not r["revoked"]),
                }
            )
        summary.sort(key=lambda x: (not x["silent"], x["station"].county, x["station"].name))
        for r in rows:
            r["silent"] = not r["revoked"] and figures.silent(r["last_sync_ms"], now)
        rows.sort(
            key=lambda r: (r["revoked"], not r["silent"], r["county"], r["station_name"], r["name"])
        )
        return _render(
            web,
            request,
            "health.html",
            session,
            title="同步状态",
            summary=summary,
            rows=rows,
            silent_days=figures.SILENT_DAYS,
            notice=NOTICES.get(request.query_params.get("ok", "")),
        )

    router.add_api_route("/web/health", page(health_page), methods=["GET"])

    # -- administration -----------------------------------------------------------------------------
    def admin_page(
        request: Request,
        session: Session,
        *,
        error: str = "",
        status: int = 200,
        form: dict[str, str] | None = None,
    ) -> Response:
        from pzh_core.domain import refdata

        stations = web.stations_for(session.user)
        ids = {s.id: s for s in stations}
        codes = [c for c in storage.list_codes() if c.station_id in ids][:200]
        counties = refdata.counties() if session.user.role == "city" else [session.user.county]
        return _render(
            web,
            request,
            "admin.html",
            session,
            status=status,
            title="管理",
            stations=stations,
            station_names={s.id: s.name for s in stations},
            codes=codes,
            counties=counties,
            now=storage.now(),
            error=error,
            form=form or {},
        )

    router.add_api_route("/web/admin", page(admin_page), methods=["GET"])

    def create_station(request: Request, session: Session, form: dict[str, str]) -> Response:
        from sync.server.web.accounts import county_label

        county = county_label(form.get("county", "")) or ""
        if not county or not session.user.sees_county(county):
            raise WebError(403, "您只能在本县（区）创建文化站。")
        try:
            st = admin.create_station(storage, form.get("name", ""), county)
        except admin.AdminError as exc:
            return admin_page(request, session, error=str(exc), status=400, form=form)
        log.info("web: %s created station %s (%s)", session.user.name, st.id, st.name)
        return RedirectResponse(f"/web/station/{quote(st.id)}?ok=station", status_code=303)

    router.add_api_route("/web/admin/stations", action(create_station), methods=["POST"])

    def issue_code(request: Request, session: Session, form: dict[str, str]) -> Response:
        station = web.station_for(session.user, form.get("station_id", ""))
        text = form.get("expires_days", "7").strip() or "7"
        if not text.isdigit() or len(text) > 4:
            raise WebError(400, f"有效天数须在1到{admin.MAX_EXPIRES_DAYS}之间。")
        try:
            code = admin.issue_code(storage, station.id, expires_days=int(text))
        except admin.AdminError as exc:
            raise WebError(400, str(exc)) from exc
        log.info("web: %s issued a code for station %s", session.user.name, station.id)
        return RedirectResponse(f"/web/admin/codes/{quote(code.code)}", status_code=303)

    router.add_api_route("/web/admin/codes", action(issue_code), methods=["POST"])

    def code_card(request: Request, session: Session) -> Response:
        code, station = web.code_for(session.user, request.path_params["code"])
        return _render(
            web,
            request,
            "card.html",
            session,
            title="邀请码",
            code=code,
            station=station,
            server=_server_address(request),
            now=storage.now(),
        )

    router.add_api_route("/web/admin/codes/{code}", page(code_card), methods=["GET"])

    def revoke(request: Request, session: Session, form: dict[str, str]) -> Response:
        dev, station = web.device_for(session.user, request.path_params["device_id"])
        admin.revoke_device(storage, dev.id)
        log.info("web: %s revoked device %s of station %s", session.user.name, dev.id, station.id)
        back = form.get("back", "")
        target = back if back in ("/web/health", f"/web/station/{station.id}") else "/web/health"
        return RedirectResponse(f"{target}?ok=revoked", status_code=303)

    router.add_api_route("/web/admin/devices/{device_id}/revoke", action(revoke), methods=["POST"])

    # -- exports ---------------------------------------------------------------------------------------
    def export(request: Request, session: Session) -> Response:
        from pzh_core.tabular import write_table

        fmt = request.path_params["fmt"]
        if fmt not in ("xlsx", "csv"):
            raise WebError(404, "只能导出 .xlsx 或 .csv。")
        year = _year(web, request)
        ov = _overview(session, year)
        scope = "全市" if session.user.role == "city" else session.user.county
        name = f"文化站概览-{scope}-{year}年.{fmt}"
        with tempfile.TemporaryDirectory() as tmp:
            out = write_table(
                Path(tmp) / f"overview.{fmt}",
                figures.table_headers(),
                figures.table_rows(ov),
                sheet=f"{year}年概览",
            )
            data = out.read_bytes()
        media = (
            "text/csv; charset=utf-8"
            if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        return _download(data, name, media)

    router.add_api_route("/web/export/overview.{fmt}", page(export), methods=["GET"])

    @router.get("/web/{rest:path}")
    async def not_found(request: Request) -> Response:
        raise WebError(
            404, "没有这个页面。请从上方的菜单进入。"
        )  # a Chinese page, not the API's JSON

    return router
