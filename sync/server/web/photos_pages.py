"""The evidence pages (issue 15): a station's activities with their photos for a period, one
photo, and a period's evidence as a zip (one station, or every station the user may see — a
county's).

Only files the station has sent are shown; an attachment whose file has not arrived yet says so.
The zip holds a folder per activity (``日期 活动名称``) and ``清单.csv`` listing every file with
its activity, so a county can check the evidence offline.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pzh_core import photos
from pzh_core.queries import evidence
from sync.server.web.accounts import Session
from sync.server.web.base import SECURITY_HEADERS, Web, WebError, download, page, render

MAX_ZIP_BYTES = 2 * 1024 * 1024 * 1024  # a zip larger than this is refused: choose a shorter period
UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def add_routes(router: APIRouter, web: Web) -> None:
    router.add_api_route(
        "/web/station/{station_id}/photos", page(web, photos_page), methods=["GET"]
    )
    router.add_api_route("/web/photo/{station_id}/{hash_}", page(web, photo_file), methods=["GET"])
    router.add_api_route("/web/evidence.zip", page(web, evidence_zip), methods=["GET"])


def _period(web: Web, request: Request) -> tuple[str, str]:
    today = web.today()
    start = request.query_params.get("from") or f"{today.year}-01-01"
    end = request.query_params.get("to") or today.isoformat()
    try:
        if date.fromisoformat(start) > date.fromisoformat(end):
            raise ValueError
    except ValueError:
        raise WebError(
            400, "日期不正确：请按 2026-01-31 的格式填写，开始日期不能晚于结束日期。"
        ) from None
    return start, end


def _evidence(web: Web, station_ids: list[str], start: str, end: str) -> list[dict]:
    return evidence.activity_photos(web.storage.indicator_db(), station_ids, start, end)


def photos_page(web: Web, request: Request, session: Session) -> Response:
    station = web.station_for(session.user, request.path_params["station_id"])
    start, end = _period(web, request)
    store = request.app.state.photos
    activities: dict[str, dict] = {}
    for row in _evidence(web, [station.id], start, end):
        act = activities.setdefault(
            row["activity_id"],
            {"date": row["date"], "title": row["title"], "place": row["place"], "files": []},
        )
        row["arrived"] = store.stored(station.id, row["hash"]) is not None
        row["thumb_arrived"] = (
            bool(row["thumb"]) and store.stored(station.id, row["thumb"]) is not None
        )
        act["files"].append(row)
    return render(
        web,
        request,
        "photos.html",
        session,
        title=f"{station.name} 活动照片",
        station=station,
        start=start,
        end=end,
        activities=list(activities.values()),
    )


def photo_file(web: Web, request: Request, session: Session) -> Response:
    station = web.station_for(session.user, request.path_params["station_id"])
    hash_ = request.path_params["hash_"]
    found = request.app.state.photos.stored(station.id, hash_) if photos.is_hash(hash_) else None
    if found is None:
        raise WebError(404, "这个文件还没有从文化站上传到市服务器。")
    path, _, kind = found
    headers = {**SECURITY_HEADERS, "Cache-Control": "private, max-age=86400"}
    return Response(path.read_bytes(), media_type=photos.MEDIA_TYPES[kind], headers=headers)


def evidence_zip(web: Web, request: Request, session: Session) -> Response:
    """``?station=ID`` (or every station the user sees) ``&from=&to=``."""
    wanted = request.query_params.get("station", "")
    stations = [web.station_for(session.user, wanted)] if wanted else web.stations_for(session.user)
    names = {s.id: s.name for s in stations}
    start, end = _period(web, request)
    store = request.app.state.photos
    rows = _evidence(web, list(names), start, end)
    buf = io.BytesIO()
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(["文化站", "活动日期", "活动名称", "文件", "原文件名", "内容编号", "状态"])
    total = 0
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:  # JPEG and PDF do not compress
        seen: set[str] = set()
        for n, row in enumerate(rows, start=1):
            folder = _safe(names[row["station_id"]]) + "/" + _safe(f"{row['date']} {row['title']}")
            ext = photos.EXTENSIONS.get(row["kind"], "")
            member = f"{folder}/{n:04d} {_safe(row['name'].rsplit('.', 1)[0])[:60]}{ext}"
            found = store.stored(row["station_id"], row["hash"])
            state = "已上传" if found else "尚未上传"
            if found and member not in seen:
                total += found[1]
                if total > MAX_ZIP_BYTES:
                    raise WebError(413, "所选期间的照片超过 2 GB，请缩短期间或按文化站分别下载。")
                zf.write(found[0], member)
                seen.add(member)
            writer.writerow(
                [
                    names[row["station_id"]],
                    row["date"],
                    row["title"],
                    member if found else "",
                    row["name"],
                    row["hash"],
                    state,
                ]
            )
        zf.writestr("清单.csv", "\ufeff" + index.getvalue())
    label = names[wanted] if wanted else (session.user.county or "全市")
    return download(buf.getvalue(), f"活动照片 {label} {start}至{end}.zip", "application/zip")


def _safe(text: str) -> str:
    """One part of a zip member name every Windows can unpack (no separators, no ``..``)."""
    return UNSAFE.sub("_", text).strip(" .")[:80] or "_"
