"""What every command shares: opening the data dir and turning known errors into messages."""

from __future__ import annotations

import argparse
import sys

from pzh_core.domain.errors import ValidationError
from pzh_core.tabular import TableError
from pzh_station.services.context import Services, open_services
from pzh_station.store import StoreError


def services_for(args: argparse.Namespace) -> Services:
    return open_services(
        getattr(args, "data_dir", None), operator=getattr(args, "operator", "") or ""
    )


def fail(message: str, code: int = 2) -> int:
    print(message, file=sys.stderr)
    return code


def refuse_partial_import(result, *, skip_bad: bool) -> int | None:  # noqa: ANN001
    """Print an import's per-row report; without ``--skip-bad`` any problem means nothing is
    written (all or nothing): returns the exit code to stop with, else None."""
    for problem in result.problems:
        print(str(problem))
    if result.problems and not skip_bad:
        return fail(
            f"共 {result.total} 行，{len(result.bad_lines)} 行有问题，未导入任何记录。"
            "修正后重试，或加 --skip-bad 只导入无误的行。",
            1,
        )
    return None


def run_handler(handler, args: argparse.Namespace) -> int:  # noqa: ANN001
    try:
        return int(handler(args) or 0)
    except StoreError as exc:
        hint = "\n可以用 pzh-station restore 备份文件 从备份恢复。" if exc.can_restore else ""
        return fail(f"错误：{exc.message}{hint}")
    except TableError as exc:
        return fail(f"错误：{exc.message}")
    except ValidationError as exc:
        return fail("错误：" + "；".join(exc.errors.values()))
    except OSError as exc:
        return fail(f"错误：无法读写文件（{exc.strerror or exc}）：{exc.filename or ''}")
