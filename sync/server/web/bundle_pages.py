"""USB bundles on the web pages (issue 15): a county or city user uploads a station PC's bundle;
it is applied exactly like a sync (``sync.server.bundles.import_bundle``), and the page offers the
signed return bundle for the PC. Only bundles of stations the user may see are imported."""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pzh_core import bundle
from sync.server import bundles
from sync.server.web.accounts import Session
from sync.server.web.base import Web, WebError, check_csrf, download, page, render, require

ANSWERS = "bundle_answers"


def add_routes(router: APIRouter, web: Web) -> None:
    router.add_api_route("/web/bundle", page(web, bundle_page), methods=["GET"])
    router.add_api_route("/web/bundle", _upload(web), methods=["POST"])
    router.add_api_route("/web/bundle/answer/{name}", page(web, answer_file), methods=["GET"])


def bundle_page(web: Web, request: Request, session: Session) -> Response:
    return render(web, request, "bundle.html", session, title="导入U盘同步包", result=None)


def _upload(web: Web):  # noqa: ANN202
    async def upload(request: Request) -> Response:
        session = await run_in_threadpool(require, web, request)
        try:
            form = await request.form(max_files=1, max_fields=4)
        except Exception as exc:  # noqa: BLE001 - any malformed upload is the same answer
            raise WebError(400, "上传的内容无法识别，请在页面上重新选择文件。") from exc
        check_csrf({"csrf": str(form.get("csrf", ""))}, session.csrf)
        upload_file = form.get("bundle")
        if upload_file is None or isinstance(upload_file, str):
            raise WebError(400, "请选择要导入的同步包文件（.pzhbundle）。")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "in.pzhbundle"
            with path.open("wb") as fh:
                await run_in_threadpool(shutil.copyfileobj, upload_file.file, fh)
            if path.stat().st_size > bundle.MAX_BUNDLE_BYTES:
                raise WebError(413, bundle.MESSAGES["too_big"])
            return await run_in_threadpool(_apply, web, request, session, path)

    upload.__name__ = "bundle_upload"
    return upload


def _apply(web: Web, request: Request, session: Session, path: Path) -> Response:
    app = request.app
    seen = {s.id for s in web.stations_for(session.user)}
    try:
        result = bundles.import_bundle(
            web.storage,
            app.state.photos,
            app.state.bundle_keys,
            path,
            may_import=lambda station_id: station_id in seen,
        )
    except bundles.ImportRefused as exc:
        return render(
            web,
            request,
            "bundle.html",
            session,
            title="导入U盘同步包",
            result=None,
            error=exc.message,
            status=400,
        )
    folder = Path(app.state.data_dir) / ANSWERS
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    (folder / f"{name}.pzhbundle").write_bytes(result.answer)
    (folder / f"{name}.json").write_text(json.dumps({"station_id": result.station_id}))
    station = web.station_for(session.user, result.station_id)
    return render(
        web,
        request,
        "bundle.html",
        session,
        title="导入U盘同步包",
        result=result,
        station=station,
        answer=name,
    )


def answer_file(web: Web, request: Request, session: Session) -> Response:
    name = request.path_params["name"]
    folder = Path(request.app.state.data_dir) / ANSWERS
    if len(name) != 32 or not all(c in "0123456789abcdef" for c in name):
        raise WebError(404, "没有这个回执包。")
    try:
        meta = json.loads((folder / f"{name}.json").read_text())
        data = (folder / f"{name}.pzhbundle").read_bytes()
    except (OSError, ValueError) as exc:
        raise WebError(404, "没有这个回执包（可能已过期），请重新导入同步包。") from exc
    station = web.station_for(session.user, meta.get("station_id", ""))
    return download(data, f"{station.name}-回执{bundle.SUFFIX}", "application/octet-stream")
