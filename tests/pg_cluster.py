"""A throwaway PostgreSQL cluster for the tests: ``initdb`` in a temp dir, ``pg_ctl`` on a unix
socket there (no TCP port), fsync off; a fresh database per test, copied from a migrated template.

``initdb`` refuses to run as root, so as root the cluster runs as the ``postgres`` user (made by
Debian's ``postgresql`` package) through ``runuser``. :func:`find_bin` finds the server's
programs on PATH or in ``/usr/lib/postgresql/<version>/bin``; without them (or without psycopg)
:func:`unavailable` says why, and the PostgreSQL half of the server tests is skipped with that.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

TEMPLATE = "pzh_template"
_counter = itertools.count(1)


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    return None


def unavailable() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None when they can."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg/psycopg_pool not installed (pip install '.[postgres]')"
    if not (find_bin("initdb") and find_bin("pg_ctl")):
        return "PostgreSQL is not installed (apt-get install postgresql; bootstrap.py test does it)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a 'postgres' user to run initdb as"
    return None


class Cluster:
    """A running throwaway cluster; :meth:`new_database` makes an empty migrated database."""

    def __init__(self, *, durable: bool = False) -> None:
        """:param durable: fsync and synchronous commits on, as in production (benchmarks);
        off by default (tests)."""
        self.root = Path(tempfile.mkdtemp(prefix="pzh-pg-"))
        self.data = self.root / "data"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self._as_user = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]
        self.port = 5432 + os.getpid() % 1000
        self._run(
            find_bin("initdb"),
            "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        options = f"-k {self.root} -p {self.port} -c listen_addresses='' -c max_connections=300"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            find_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
            str(self.root / "log"), "start",
        )  # fmt: skip
        self._admin_sql(f"CREATE DATABASE {TEMPLATE}")
        from sync.server.db import open_engine

        open_engine(self.url(TEMPLATE)).close()

    def _run(self, *cmd: str | None) -> None:
        subprocess.run(
            [*self._as_user, *[c for c in cmd if c]],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.root,
            timeout=120,
        )

    def url(self, db: str) -> str:
        return f"postgresql://postgres@/{db}?host={self.root}&port={self.port}"

    def _admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self, *, empty: bool = False) -> str:
        """A fresh database with the server's tables (``empty``: without them); its URL."""
        name = f"t{os.getpid()}_{next(_counter)}"
        template = "template0" if empty else TEMPLATE
        for attempt in range(20):  # the template must have no other session for a moment
            try:
                self._admin_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
                break
            except Exception:
                if attempt == 19:
                    raise
                time.sleep(0.1)
        return self.url(name)

    def reset(self, url: str) -> None:
        """Empty a database made by :meth:`new_database` as it was new (faster than a new one:
        CREATE and DROP DATABASE each force a checkpoint)."""
        import psycopg

        from sync.server.db.migrations import CLOCK_SEED

        with psycopg.connect(url, autocommit=True) as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    " AND tablename <> 'srv_migrations'"
                )
            ]
            with conn.transaction():
                conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
                conn.execute(CLOCK_SEED)

    def drop_database(self, url: str) -> None:
        name = url.split("/")[3].split("?")[0]
        self._admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def cpu_seconds(self) -> float:
        """User + system CPU seconds used so far by the cluster's processes (Linux)."""
        return cpu_seconds(int((self.data / "postmaster.pid").read_text().split()[0]))

    def stop(self) -> None:
        try:
            self._run(find_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def cpu_seconds(postmaster: int) -> float:
    """User + system CPU seconds used so far by a cluster's processes: its postmaster (pid) and
    the postmaster's children, those running and those that have ended (a backend whose client
    closed its connection: the postmaster's ``cutime``/``cstime``) (Linux)."""
    total = 0.0
    pid = postmaster
    for proc in Path("/proc").iterdir():
        try:
            stat = (proc / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if int(proc.name) == pid:
                total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
            elif int(fields[1]) == pid:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            continue
    return total
