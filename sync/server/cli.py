"""``pzh-sync-server``: run the city server and administer it from the command line.

    pzh-sync-server serve [--host H] [--port P] [--data-dir DIR] [--database postgresql://…]
        [--read-database postgresql://… (a replica, for the web pages' figures only)]
        [--trusted-proxy ADDR…]
    pzh-sync-server admin create-station --name NAME --county COUNTY [--data-dir DIR]
    pzh-sync-server admin issue-code --station ID [--expires-days N] [--data-dir DIR]
    pzh-sync-server admin list-stations | list-codes | list-devices [--data-dir DIR]
    pzh-sync-server admin revoke-device ID [--data-dir DIR]
    pzh-sync-server admin show-definitions | set-definitions FILE [--data-dir DIR]
    pzh-sync-server admin create-user --name N --role city|county [--county C] [--password P]
                                      [--data-dir DIR]
    pzh-sync-server admin copy-database --to postgresql://… [--data-dir DIR]
    pzh-sync-server admin rebuild-figures [--no-verify] [--data-dir DIR]

Every admin command prints the id or code it made last, on the last line of its output, so a
script can take ``| tail -n 1``. The data dir defaults to ``$PZH_SYNC_DATA_DIR`` or ``./sync-data``;
the database to ``$PZH_SYNC_DATABASE`` or the SQLite file ``server.sqlite3`` in the data dir.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path
from typing import Any

from pzh_core.china_tz import china_time
from sync.server import admin
from sync.server.storage import StorageOpenError

DEFAULT_PORT = 8470


def _data_dir(value: str | None) -> Path:
    return Path(value or os.environ.get("PZH_SYNC_DATA_DIR") or "sync-data").resolve()


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return china_time(ms)


def _add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir", help="server data directory (default $PZH_SYNC_DATA_DIR or ./sync-data)"
    )
    p.add_argument(
        "--database",
        help="postgresql://user@host/db (default $PZH_SYNC_DATABASE, else the SQLite file"
        " server.sqlite3 in the data dir)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pzh-sync-server", description="文化站工作台 城市同步服务器"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub.add_parser("serve", help="run the server (uvicorn)"))
    adm = sub.add_parser("admin", help="administration")
    asub = adm.add_subparsers(dest="admin_command", required=True)
    _station_parsers(asub)
    _database_parsers(asub)
    from sync.server.web import cli as web_cli  # web accounts (issue 8)

    web_cli.add_parser(asub, _add_data_dir)
    from sync.server import photo_cli  # USB bundles, enrollment files, photo limits (issue 15)

    photo_cli.add_parsers(asub, _add_data_dir)
    from sync.server import definitions  # the city's definition file (issue 13)

    definitions.add_parser(asub, _add_data_dir)
    from sync.server import approvals_cli  # periods submitted, approved, locked (issue 14)

    approvals_cli.add_parser(asub, _add_data_dir)
    return parser


def _serve_parser(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 = any free port)",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--read-database",
        help="a read replica (postgresql://…) for the web pages' figures only (default"
        " $PZH_SYNC_READ_DATABASE); approvals and every write use the primary",
    )
    serve.add_argument(
        "--trusted-proxy",
        nargs="+",
        default=[],
        metavar="ADDR",
        help="addresses of reverse proxies whose X-Forwarded-For/-Proto are believed"
        " (default: none; the connecting address is the client's)",
    )
    _add_data_dir(serve)


def _station_parsers(asub: Any) -> None:
    p = asub.add_parser("create-station", help="register a station; prints its id")
    p.add_argument("--name", required=True)
    p.add_argument("--county", required=True, help="county label (仁和区) or code (renhe)")
    _add_data_dir(p)
    p = asub.add_parser("issue-code", help="issue a one-time enrollment code; prints the code")
    p.add_argument("--station", required=True, help="station id")
    p.add_argument("--expires-days", type=int, default=7)
    _add_data_dir(p)
    for name, text in (
        ("list-stations", "list stations"),
        ("list-codes", "list enrollment codes"),
        ("list-devices", "list devices and their sync health"),
    ):
        p = asub.add_parser(name, help=text)
        _add_data_dir(p)
    p = asub.add_parser("revoke-device", help="revoke a device's token; prints its id")
    p.add_argument("device_id")
    _add_data_dir(p)


def _database_parsers(asub: Any) -> None:
    p = asub.add_parser(
        "copy-database",
        help="copy everything into a new, empty database (e.g. SQLite to PostgreSQL) and verify"
        " the row counts; the server must be stopped",
    )
    p.add_argument("--to", required=True, help="the target: postgresql://user@host/db")
    _add_data_dir(p)
    p = asub.add_parser(
        "rebuild-figures",
        help="recompute the web pages' pre-aggregated figures (after a definition changes) and"
        " verify them against a full recomputation; exit 1 when a figure differs",
    )
    p.add_argument("--no-verify", action="store_true", help="rebuild only")
    _add_data_dir(p)


def serve(
    host: str,
    port: int,
    data_dir: Path,
    log_level: str,
    database: str | None,
    read_database: str | None = None,
    trusted_proxies: list[str] | tuple[str, ...] = (),
) -> int:
    import uvicorn

    from sync.server.app import ServerSettings, create_app

    # Bind first, so ``--port 0`` works and the printed address is the real one.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    real_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    app = create_app(
        data_dir,
        settings=ServerSettings.from_env(),
        database=database,
        read_database=read_database,
    )
    where = app.state.storage.engine.url  # printed only once the database is open
    print(f"pzh-sync-server listening on http://{shown}:{real_port} (data: {where})", flush=True)
    # limit_concurrency: beyond it uvicorn answers 503 at once instead of queueing without end.
    # Forwarded headers only from the proxies named (uvicorn's default believes 127.0.0.1, so
    # anything on the server itself could pick a new address per request and escape throttling).
    config = uvicorn.Config(
        app,
        log_level=log_level,
        timeout_keep_alive=30,
        backlog=2048,
        limit_concurrency=1000,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=list(trusted_proxies) or None,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def run_admin(args: argparse.Namespace) -> int:
    from sync.server.app import database_of
    from sync.server.sql_storage import open_storage

    data_dir = _data_dir(args.data_dir)
    if args.admin_command == "create-user":  # web accounts live in their own file (issue 8)
        from sync.server.web import cli as web_cli

        return web_cli.create_user(args, data_dir)
    if args.admin_command == "copy-database":
        return copy_database(database_of(data_dir, args.database), args.to)
    from sync.server import photo_cli

    if args.admin_command in photo_cli.COMMANDS:
        return photo_cli.run(args, data_dir, database_of(data_dir, args.database))
    storage = open_storage(database_of(data_dir, args.database))
    try:
        cmd = args.admin_command
        if cmd in ("show-definitions", "set-definitions"):
            from sync.server import definitions

            return definitions.run(args, storage, data_dir)
        if cmd == "rebuild-figures":
            return rebuild_figures(storage, verify=not args.no_verify)
        from sync.server import approvals_cli

        if cmd in approvals_cli.COMMANDS:
            return approvals_cli.run(args, storage)
        _station_command(cmd, args, storage)
    except admin.AdminError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    finally:
        storage.close()
    return 0


def _station_command(cmd: str, args: argparse.Namespace, storage: Any) -> None:
    """The stations', codes' and devices' commands (``admin.AdminError`` on bad input)."""
    if cmd == "create-station":
        st = admin.create_station(storage, args.name, args.county)
        print(f"已创建文化站：{st.name}（{st.county}）")
        print(st.id)
    elif cmd == "issue-code":
        code = admin.issue_code(
            storage, args.station, expires_days=args.expires_days, actor="admin"
        )
        print(f"邀请码（一次有效，{_when(code.expires_ms)} 前使用）：")
        print(code.code)
    elif cmd == "list-stations":
        for st in admin.list_stations(storage):
            print(f"{st.id}\t{st.county}\t{st.name}")
    elif cmd == "list-codes":
        for c in admin.list_codes(storage):
            state = (
                f"已用 {c.device_id}"
                if c.spent_ms
                else ("已过期" if c.expires_ms <= storage.now() else "未用")
            )
            print(f"{c.code}\t{c.station_id}\t有效至 {_when(c.expires_ms)}\t{state}")
    elif cmd == "list-devices":
        print("设备ID\t文化站\t名称\t状态\t最近同步\t今日收到\t时钟偏差(秒)\t最近错误")
        for d in admin.sync_health(storage):
            skew = "-" if d["skew_ms"] is None else f"{d['skew_ms'] / 1000:+.0f}"
            state = "已停用" if d["revoked"] else "正常"
            print(
                f"{d['id']}\t{d['station_name']}\t{d['name']}\t{state}\t{_when(d['last_sync_ms'])}"
                f"\t{d['changes_today']}\t{skew}\t{d['last_error'] or '-'}"
            )
    elif cmd == "revoke-device":
        dev = admin.revoke_device(storage, args.device_id, actor="admin")
        print(f"已停用设备：{dev.name or dev.id}")
        print(dev.id)


def rebuild_figures(storage, *, verify: bool) -> int:  # noqa: ANN001 - an SqlStorage
    from pzh_core.china_tz import china_today
    from sync.server.db import aggregates

    written = storage.engine.write(aggregates.rebuild)
    print(f"已重算统计汇总：{written} 行。")
    if not verify:
        return 0
    found = storage.engine.read(
        lambda c: aggregates.verify(c, storage.indicator_db(), china_today(storage.now()))
    )
    bad = 0
    for year, diffs in found.items():
        print(f"{year}年：" + ("与逐条重算一致" if not diffs else f"{len(diffs)} 处不一致"))
        for key, sid, got, want in diffs[:20]:
            print(f"  {key}\t{sid}\t汇总 {got}\t重算 {want}")
        bad += len(diffs)
    return 1 if bad else 0


def copy_database(source: str | Path, target: str) -> int:
    from sync.server.db import open_engine
    from sync.server.db.copy import CopyError
    from sync.server.db.copy import copy_database as copy

    src = open_engine(source)
    try:
        dst = open_engine(target)
        try:
            counts = copy(src, dst)
        finally:
            dst.close()
    except CopyError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    finally:
        src.close()
    for table, n in counts.items():
        print(f"{table}\t{n}")
    print(f"已复制 {sum(counts.values())} 行，逐表核对行数一致。")
    print(dst.url)
    return 0


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(
                args.host,
                args.port,
                _data_dir(args.data_dir),
                args.log_level,
                args.database,
                args.read_database,
                args.trusted_proxy,
            )
        return run_admin(args)
    except StorageOpenError as exc:  # the data file is not (or no longer) a database
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
