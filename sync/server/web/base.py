"""What every web page shares: the :class:`Web` context (who may see what), errors, formatting
filters, rendering, form parsing with its CSRF check, and the :func:`page`/:func:`action`
wrappers every route goes through.

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
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from pzh_core.china_tz import china_time, china_today
from pzh_core.queries import Db
from sync.server.storage import Code, Device, Scope, Station, Storage
from sync.server.web import figures
from sync.server.web.accounts import AccountStore, Session, User

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
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'"
    " 'unsafe-inline';"
    " script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}
NOTICES = {  # ?ok=… after a form, fixed texts (nothing from the request is echoed)
    "station": "文化站已创建。可在下方为它发放邀请码。",
    "revoked": "设备已停用，它将无法再同步。",
    "renamed": "文化站已改名。该站的电脑下次同步时会收到新名称。",
    "user": "账号已保存。",
}
EXPIRED_NOTICE = "会话已过期，请重新操作。刚才提交的内容没有保存。"


class WebError(Exception):
    """A page that cannot be shown: ``status`` and a Chinese message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SignInRequired(Exception):
    """No live session: sign in, then go to ``next_url``; ``expired``: a form was sent with a
    session that had ended (the user is told to do it again)."""

    def __init__(self, next_url: str, *, expired: bool = False) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired


# -- formatting -------------------------------------------------------------------------------
def when(ms: int | None) -> str:
    if ms is None:
        return "—"
    return china_time(ms)


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


def safe_next(value: str | None) -> str:
    """Only our own pages after sign-in (never another site: no open redirect)."""
    if value and value.startswith("/web/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/web/"


def environment() -> Environment:
    """The templates, with the formatting filters they use."""
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, num=_num, pct=_pct, skew=_skew)
    env.globals.update(sync_flag=figures.sync_flag, clock_far_off=figures.clock_far_off)
    return env


def _id_ok(value: str | None) -> bool:
    """An id worth looking up (what no engine could hold is not there: a NUL, a lone
    surrogate, 100 characters and more)."""
    from pzh_core.protocol import utf8_ok

    return value is not None and 0 < len(value) <= 100 and utf8_ok(value)


@dataclass
class Web:
    storage: Storage
    accounts: AccountStore
    env: Environment
    data_dir: Path = Path(".")  # the server's data dir (the city's definition file)
    stations_on_page: int = 300  # ServerSettings.stations_on_page

    # -- who may see what --------------------------------------------------------------------
    def stations_for(self, user: User) -> list[Station]:
        """The stations the user may see (a county user's: chosen in SQL)."""
        if user.role == "city":
            return self.storage.list_stations()
        if user.role != "county" or not user.county:
            return []
        return self.storage.stations_page(Scope(county=user.county), limit=10**6, offset=0).rows

    def station_for(self, user: User, station_id: str) -> Station:
        st = self.storage.get_station(station_id) if _id_ok(station_id) else None
        if st is None or not user.sees_county(st.county):
            raise WebError(404, "没有这个文化站，或您无权查看它。")
        return st

    def device_for(self, user: User, device_id: str) -> tuple[Device, Station]:
        dev = self.storage.get_device(device_id) if _id_ok(device_id) else None
        if dev is None:
            raise WebError(404, "没有这个设备，或您无权管理它。")
        try:
            return dev, self.station_for(user, dev.station_id)
        except WebError:
            raise WebError(404, "没有这个设备，或您无权管理它。") from None

    def code_for(self, user: User, code: str) -> tuple[Code, Station]:
        found = self.storage.get_code(code) if _id_ok(code) else None
        try:
            if found is not None:
                return found, self.station_for(user, found.station_id)
        except WebError:
            pass
        raise WebError(404, "没有这个邀请码，或您无权查看它。")

    def last_syncs(self, stations: list[Station]) -> dict[str, int]:
        """The latest sync of each station (over its devices not revoked)."""
        from sync.server.db import rollup

        return rollup.last_syncs(self.db(), [s.id for s in stations])

    def db(self) -> Db:
        """The replica tables, for the indicator figures."""
        db = self.storage.indicator_db()
        if db is None:
            raise WebError(503, "本服务器的存储不支持统计页面。")
        return db

    def today(self) -> date:
        return china_today(self.storage.now())


# -- helpers shared by the routes ----------------------------------------------------------------
def session_of(web: Web, request: Request) -> Session | None:
    return web.accounts.session(request.cookies.get(COOKIE))


def require(web: Web, request: Request) -> Session:
    session = session_of(web, request)
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(safe_next(target))
    return session


def render(
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
        expired_notice=EXPIRED_NOTICE
        if session and request.query_params.get("expired") == "1"
        else "",
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


async def read_form(request: Request) -> dict[str, str]:
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


def check_csrf(form: dict[str, str], expected: str | None) -> None:
    token = form.get("csrf", "")
    if not expected or not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise WebError(403, "表单已过期或来源不明，未做任何改动。请刷新页面后重新提交。")


def year_param(web: Web, request: Request) -> int:
    today = web.today()
    text = request.query_params.get("year", "")
    if not text:
        return today.year
    if not text.isdigit() or not 2000 <= int(text) <= today.year + 1:
        raise WebError(400, f"年份不正确：请选择2000至{today.year + 1}年之间的年份。")
    return int(text)


def year_choices(web: Web) -> list[int]:
    this = web.today().year
    return list(range(this, this - 11, -1))


def secure(request: Request) -> bool:
    """Over HTTPS (directly, or from a proxy named with ``serve --trusted-proxy``: uvicorn then
    sets the scheme from its X-Forwarded-Proto; the header from anyone else is ignored)."""
    return request.url.scheme == "https"


def same_origin(request: Request) -> bool:
    """The browser says the form was sent from a page of this server (``Origin``)."""
    origin = request.headers.get("origin", "")
    host = request.headers.get("host", "")
    return bool(origin and host) and origin == f"{request.url.scheme}://{host}"


def form_page(request: Request, form: dict[str, str]) -> str:
    """The page a form was sent from (where to come back after signing in again): the
    ``Referer`` when it is one of our pages, else the form's ``back`` or its section's page,
    never the form's own address (a POST-only address would be a 404)."""
    ref = urlsplit(request.headers.get("referer", ""))
    if ref.path and ref.netloc == request.headers.get("host", ""):
        target = safe_next(ref.path + (f"?{ref.query}" if ref.query else ""))
        if target != "/web/" or ref.path == "/web/":
            return target
    back = form.get("back", "")
    if back.startswith(("/web/health", "/web/station/")):
        return safe_next(back)
    path = request.url.path
    if path.startswith("/web/admin/users"):
        return "/web/admin/users"
    return "/web/admin" if path.startswith("/web/admin") else "/web/"


def server_address(request: Request) -> str:
    return (os.environ.get(PUBLIC_URL_ENV) or str(request.base_url)).rstrip("/")


def download(data: bytes, filename: str, media_type: str, *, ascii_name: str = "") -> Response:
    """An attachment named ``filename`` (UTF-8, RFC 5987) with ``ascii_name`` for browsers and
    tools that read only the plain ``filename`` (default: the name with non-ASCII dropped)."""
    if not ascii_name:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-.")
        ascii_name = stem if "." in stem else "download"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_name)
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}";'
            f" filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )


def table_download(
    fmt: str,
    filename: str,
    ascii_name: str,
    headers: list[str],
    rows: list[list[Any]],
    *,
    sheet: str,
    preamble: list[str],
) -> Response:
    """A table as an .xlsx or .csv attachment (``pzh_core.tabular``: formula-like text stays
    text, rates keep their number format, ``preamble`` above the header)."""
    import tempfile

    from pzh_core.tabular import write_table

    if fmt not in ("xlsx", "csv"):
        raise WebError(404, "只能导出 .xlsx 或 .csv。")
    with tempfile.TemporaryDirectory() as tmp:
        out = write_table(Path(tmp) / f"t.{fmt}", headers, rows, sheet=sheet, preamble=preamble)
        data = out.read_bytes()
    media = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return download(data, f"{filename}.{fmt}", media, ascii_name=f"{ascii_name}.{fmt}")


Page = Callable[[Web, Request, Session], Response]
Action = Callable[[Web, Request, Session, dict[str, str]], Response]


def page(web: Web, fn: Page) -> Callable[[Request], Any]:
    """A GET page: signed-in session, work in a worker thread (SQLite blocks)."""

    async def handler(request: Request) -> Response:
        def run() -> Response:
            return fn(web, request, require(web, request))

        return await run_in_threadpool(run)

    handler.__name__ = fn.__name__
    return handler


def action(web: Web, fn: Action) -> Callable[[Request], Any]:
    """A POST form: signed-in session, CSRF token checked before anything is done."""

    async def handler(request: Request) -> Response:
        session = await run_in_threadpool(session_of, web, request)
        if session is None:  # it ended while the form was open: nothing is done
            try:
                form = await read_form(request)
            except WebError:
                form = {}
            raise SignInRequired(form_page(request, form), expired=True)
        form = await read_form(request)
        check_csrf(form, session.csrf)
        return await run_in_threadpool(fn, web, request, session, form)

    handler.__name__ = fn.__name__
    return handler


def public(web: Web, fn: Callable[[Web, Request], Awaitable[Response]]) -> Callable[[Request], Any]:
    """A route that needs no session (sign-in): ``fn`` does its own checks."""

    async def handler(request: Request) -> Response:
        return await fn(web, request)

    handler.__name__ = fn.__name__
    return handler
