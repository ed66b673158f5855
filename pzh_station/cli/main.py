"""``pzh-station``: with no command it opens the desktop app; with one it runs headless.

Each area module (``core``, ``activities``, ``training``, ``volunteers``, ``sync``, ``reports``)
has ``register(cli: Cli)`` and adds its commands there; handlers take the parsed args and
return an exit code. Errors a user can act on (StoreError, TableError, ValidationError) are
printed in Chinese with exit code 2; nothing else is shown as a traceback to a station worker.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import TYPE_CHECKING

from pzh_station import __version__

if TYPE_CHECKING:  # argparse is loaded when a command is given, not for the desk's start
    import argparse

Handler = Callable[["argparse.Namespace"], int]


class Cli:
    """The parser being built; areas add commands with :meth:`command`."""

    def __init__(self) -> None:
        import argparse

        from pzh_core import argparse_zh

        argparse_zh.install()
        self.parser = argparse.ArgumentParser(
            prog="pzh-station",
            description="文化站工作台。不带子命令时打开桌面程序。",
        )
        self.parser.add_argument(
            "--version",
            action="version",
            version=f"pzh-station {__version__}",
            help="显示版本号并退出",
        )
        self.parser.add_argument(
            "--data-dir", help="数据文件夹（默认：用户数据目录，或环境变量 PZH_STATION_DATA_DIR）"
        )
        self.parser.add_argument(
            "--self-test",
            action="store_true",
            help="自检：在临时文件夹中打开数据库、写入并读回、离屏构建主窗口",
        )
        self._sub = self.parser.add_subparsers(dest="command", metavar="命令")
        self._groups: dict[str, argparse._SubParsersAction] = {}

    def command(
        self, name: str, help: str, handler: Handler, *, group: str | None = None
    ) -> argparse.ArgumentParser:
        """Add ``name`` (or ``group name``, e.g. ``import activities``) and return its parser."""
        import argparse

        parent = self._sub if group is None else self._group(group)
        p = parent.add_parser(name, help=help, description=help)
        p.add_argument(
            "--data-dir", default=argparse.SUPPRESS, help="数据文件夹（同全局 --data-dir）"
        )
        p.set_defaults(handler=handler)
        return p

    def _group(self, group: str) -> argparse._SubParsersAction:
        if group not in self._groups:
            helps = {
                "import": "从 .xlsx/.csv 导入",
                "export": "导出为 .xlsx/.csv",
                "report": "生成报表",
                "admin": "管理",
                "facts": "年度基本情况（年报的人员、设施、经费等）",
                "photos": "活动照片和扫描件",
                "bundle": "U盘同步包（没有网络时）",
                "teams": "业余文艺团队登记",
            }
            gp = self._sub.add_parser(
                group, help=helps.get(group, group), description=helps.get(group, group)
            )
            self._groups[group] = gp.add_subparsers(
                dest=f"{group}_what", metavar="对象", required=True
            )
        return self._groups[group]


def build_parser() -> argparse.ArgumentParser:
    from pzh_station.cli import (
        activities,
        annual,
        core,
        periods,
        photos,
        reports,
        sync,
        teams,
        training,
        volunteers,
    )

    cli = Cli()
    for area in (
        core,
        activities,
        training,
        volunteers,
        sync,
        reports,
        annual,
        teams,
        periods,
        photos,
    ):
        area.register(cli)
    return cli.parser


#: the Qt-free layers the main window needs at once
PRELOAD = (
    "pzh_core.indicators",
    "pzh_station.logs",
    "pzh_station.services.maintenance",
    "pzh_station.services.station",
)


def preload_desk() -> None:
    """Import the Qt-free layers before PySide6: PySide6 inspects the source of every module
    imported after it (its ``__feature__`` import hook), about 0.1 s of the start.

    The cyclic garbage collector goes off first: the desk collects on its main thread only
    (:mod:`pzh_station.ui.gc_guard`), and the imports of the start would run it ~50 times."""
    import gc

    gc.disable()
    for name in PRELOAD:
        import_module(name)


def run_desk(data_dir: str | None = None) -> int:
    preload_desk()
    from pzh_station.ui.app import run as run_app

    return run_app(data_dir=data_dir)


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:  # the Start-menu entry: the desk at once, without building the CLI's parsers
        return run_desk()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        from pzh_station.selftest import run as self_test

        return self_test()
    handler = getattr(args, "handler", None)
    if handler is None:
        return run_desk(args.data_dir)
    from pzh_station.cli.common import run_handler

    return run_handler(handler, args)


if __name__ == "__main__":
    raise SystemExit(main())
