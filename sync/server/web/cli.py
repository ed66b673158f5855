"""``pzh-sync-server admin create-user``: web accounts for city and county staff."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from sync.server.web.accounts import DB_NAME, ROLES, AccountError, AccountStore


def add_parser(
    asub: argparse._SubParsersAction, add_data_dir: Callable[[argparse.ArgumentParser], None]
) -> None:
    p = asub.add_parser(
        "create-user",
        help="create a web account (asks for the password twice when not given); prints its name",
    )
    p.add_argument("--name", required=True, help="sign-in name")
    p.add_argument(
        "--role",
        required=True,
        choices=ROLES,
        help="city: every station; county: one county's stations",
    )
    p.add_argument(
        "--county", default="", help="the county of a county user: label (仁和区) or code (renhe)"
    )
    p.add_argument(
        "--password", help="the password (asked twice when not given; at least 8 characters)"
    )
    p.add_argument(
        "--replace", action="store_true", help="set a new password/role for an existing account"
    )
    add_data_dir(p)


def _ask_password() -> str | None:
    first = getpass.getpass("密码（至少8个字符）：")
    second = getpass.getpass("再输入一次密码：")
    if first != second:
        print("错误：两次输入的密码不一致，未创建账号。", file=sys.stderr)
        return None
    return first


def create_user(args: argparse.Namespace, data_dir: Path) -> int:
    """Run ``admin create-user``; returns the exit code (2 on an error a person can fix)."""
    password = args.password
    if password is None:
        password = _ask_password()
        if password is None:
            return 2
    try:
        user = AccountStore(data_dir / DB_NAME).create_user(
            args.name, args.role, password, county=args.county, replace=args.replace
        )
    except AccountError as exc:
        hint = "要重设密码，请加 --replace。" if "已存在" in str(exc) else ""
        print(f"错误：{exc}{hint}", file=sys.stderr)
        return 2
    scope = user.county if user.role == "county" else "全市"
    print(
        f"已{'更新' if args.replace else '创建'}网页账号：{user.name}（{user.role_label}，{scope}）"
    )
    print(user.name)
    return 0
