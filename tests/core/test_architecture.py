"""Layers one way, checked from the source: one table of which package may import which.

    pzh_core            the Qt-free core both sides share (clock, merge, protocol, schema, domain,
                        indicators, periods, tabular I/O)
    sync.server         the city server: imports the core only, never the desk, never Qt
    pzh_station.*       the desk: ui -> services -> store, all on top of the core

The table names the *internal* packages a layer may import; PySide6 is listed where it is allowed.
A new import across layers is a decision: change the table here and say why in
docs/architecture.md.

SQL lives in the store: the desk's in ``pzh_station/store``, the indicators' in the core's one
query package ``pzh_core/queries``, the server's in its storage. Anywhere else an SQL string, a
sqlite3 import or a connection fails the test; a transaction is opened only by the store and the
services and the sync client (a use-case is one transaction), never by a widget or a command.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

DESK_BASE = {"pzh_core", "pzh_station"}  # pzh_station itself: __version__, paths, settings
ALLOWED: dict[str, set[str]] = {
    "pzh_core": {"pzh_core"},
    "sync": {"pzh_core", "sync"},
    "pzh_station.store": DESK_BASE | {"pzh_station.store"},
    "pzh_station.io": DESK_BASE | {"pzh_station.io"},
    "pzh_station.services": DESK_BASE
    | {"pzh_station.services", "pzh_station.store", "pzh_station.io"},
    "pzh_station.sync_client": DESK_BASE
    | {"pzh_station.sync_client", "pzh_station.store", "pzh_station.services"},
    "pzh_station.cli": DESK_BASE
    | {
        "pzh_station.cli",
        "pzh_station.services",
        "pzh_station.store",
        "pzh_station.io",
        "pzh_station.sync_client",
        "pzh_station.selftest",
        "pzh_station.ui",
        "PySide6",
    },
    # The UI reaches the store only for its error type, the instance lock and list constants.
    "pzh_station.ui": DESK_BASE
    | {
        "pzh_station.ui",
        "pzh_station.services",
        "pzh_station.store",
        "pzh_station.io",
        "pzh_station.sync_client",
        "PySide6",
    },
    "pzh_station.selftest": DESK_BASE
    | {"pzh_station.services", "pzh_station.io", "pzh_station.store", "pzh_station.ui", "PySide6"},
    "pzh_station": DESK_BASE | {"pzh_station.cli"},  # paths, settings, __main__
}
INTERNAL = ("pzh_core", "sync", "pzh_station", "PySide6")


def _layer_of(module: str) -> str:
    """The most specific key of ALLOWED that *module* belongs to."""
    best = ""
    for key in ALLOWED:
        if (module == key or module.startswith(key + ".")) and len(key) > len(best):
            best = key
    return best


def _target_of(name: str) -> str | None:
    """The package an imported name belongs to, at the granularity of the table."""
    if name.split(".")[0] not in INTERNAL:
        return None
    if name.startswith("PySide6"):
        return "PySide6"
    parts = name.split(".")
    if parts[0] == "pzh_station" and len(parts) > 1:
        candidate = f"pzh_station.{parts[1]}"
        if candidate in ALLOWED or (ROOT / "pzh_station" / parts[1]).is_dir():
            return candidate
        return "pzh_station"
    return parts[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pzh_station":  # from pzh_station import paths
                found += [(node.lineno, f"pzh_station.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def _violations() -> list[str]:
    bad = []
    for package in ("pzh_core", "sync", "pzh_station"):
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            layer = _layer_of(module)
            assert layer, f"{module} is in no layer of the table"
            for line, name in _imports(path):
                target = _target_of(name)
                if target is None or target == layer or target.startswith(layer + "."):
                    continue
                if target not in ALLOWED[layer]:
                    bad.append(f"{path.relative_to(ROOT)}:{line}: {layer} imports {name}")
    return bad


def test_every_import_follows_the_layer_table():
    bad = _violations()
    assert not bad, "imports against the layer table:\n" + "\n".join(bad)


def test_the_table_would_catch_a_server_importing_the_desk():
    assert "pzh_station" not in ALLOWED["sync"]
    assert _target_of("pzh_station.services.reports") not in ALLOWED["sync"]
    assert _target_of("pzh_station.paths") not in ALLOWED["sync"]
    assert _target_of("PySide6.QtCore") == "PySide6"
    assert "PySide6" not in ALLOWED["pzh_core"] | ALLOWED["sync"] | ALLOWED["pzh_station.services"]


# Imported with PySide6 blocked: the server and the core must not need Qt at all (not merely not
# import it by accident), so that `pip install ".[server]"` — which does not install PySide6 — runs.
BLOCK_QT = """
import importlib, importlib.abc, pkgutil, sys
class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6" or name.startswith("PySide6.") or name == "shiboken6":
            raise ImportError("PySide6 is not installed with the server")
sys.meta_path.insert(0, NoQt())
for pkg in ("pzh_core", "sync"):
    mod = importlib.import_module(pkg)
    for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
"""


def test_server_and_core_import_with_pyside6_blocked():
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK_QT], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr


def test_server_cli_runs_with_pyside6_blocked():
    code = (
        BLOCK_QT
        + "\nfrom sync.server.cli import main\nsys.argv=['pzh-sync-server','--help']\nmain()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "serve" in proc.stdout


def test_server_extra_does_not_install_qt():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = " ".join(project["dependencies"]) + " ".join(project["optional-dependencies"]["server"])
    assert "PySide6" not in base
    assert any(d.startswith("PySide6") for d in project["optional-dependencies"]["desk"])


def test_desk_core_modules_import_no_qt():
    """The store, services, sync client and CLI modules run headless (CLI, tests, server tools)."""
    code = (
        "import importlib, pkgutil, sys\n"
        "for pkg in ('pzh_station.store', 'pzh_station.services', 'pzh_station.sync_client',"
        " 'pzh_station.io'):\n"
        "    mod = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(mod.__path__, pkg + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "import pzh_station.cli.main\n"
        "bad = [m for m in sys.modules if m.startswith('PySide6')]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


# -- SQL only in the store ------------------------------------------------------------------------
SQL_HOMES = (
    "pzh_station/store/",
    "pzh_core/queries/",
    "sync/server/db/",  # the server's engines, dialect, migrations, copy between engines
    "sync/server/sql_storage.py",  # the server's storage (SQLite and PostgreSQL) ...
    "sync/server/sql_base.py",  # ... its parts: engine, clock, reads
    "sync/server/sql_stations.py",  # stations, codes, audit
    "sync/server/sql_devices.py",  # enrollment, devices
    "sync/server/sql_health.py",  # the web pages' health lists, counted and paged
    "sync/server/sql_sync.py",  # push, pull, server writes
    "sync/server/sql_throttle.py",  # what the server processes count together
    "sync/server/push_merge.py",  # merging a pushed batch
    "sync/server/replica_write.py",  # writing replica rows, the feed, the server clock
    "sync/server/identity.py",  # enrollment, device epoch, re-keying
    "sync/server/set_aside.py",  # the changes the server set aside
    "sync/server/period_store.py",  # submitted and approved periods, late changes
    "sync/server/erasure_store.py",  # erasure on request: the guard, the logs scrubbed
    "sync/server/certificate_guard.py",  # certificate numbers the station holds already
    "sync/server/feed_history.py",  # a record's history from the feed
    "sync/server/clamps.py",  # future stamps clamped once per write
    "sync/server/replica_digest.py",  # each station's replica digest
    "sync/server/photo_store.py",  # photo files, uploads in progress, budgets (issue 15)
    "sync/server/bundle_keys.py",  # devices' USB bundle keys (issue 15)
    "sync/server/web/accounts.py",  # the web accounts' own file
)
# The sync client is a use-case layer like the services: one sync step is one transaction.
TRANSACTION_HOMES = ("pzh_station/store/", "pzh_station/services/", "pzh_station/sync_client/")
SQL_TEXT = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|PRAGMA|WITH|BEGIN|VACUUM"
    r"|ATTACH)\s"
)


def _sql_problems(source: str, *, may_transact: bool) -> list[tuple[int, str]]:
    """``(line, what)`` for each SQL string, sqlite import, connection and (unless
    ``may_transact``) transaction in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL_TEXT.match(node.value):
                found.append((node.lineno, f"SQL {node.value.strip()[:50]!r}"))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom):
                names.append(node.module or "")
            if any(n.split(".")[0] in ("sqlite3", "sqlite_utils") for n in names):
                found.append((node.lineno, "imports sqlite3/sqlite_utils"))
        elif isinstance(node, ast.Attribute):
            if node.attr == "conn":
                found.append((node.lineno, "uses a connection (.conn)"))
            elif node.attr == "transaction" and not may_transact:
                found.append((node.lineno, "opens a transaction"))
    return found


def _sql_outside_the_store() -> list[str]:
    bad = []
    for package in ("pzh_core", "sync", "pzh_station"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(SQL_HOMES):
                continue
            source = path.read_text(encoding="utf-8")
            for line, what in _sql_problems(source, may_transact=rel.startswith(TRANSACTION_HOMES)):
                bad.append(f"{rel}:{line}: {what}")
    return bad


def test_no_sql_outside_the_store():
    bad = _sql_outside_the_store()
    assert not bad, "SQL outside the store and the core's query package:\n" + "\n".join(bad)


def test_the_sql_check_would_catch_sql_a_connection_and_a_widget_transaction():
    widget = (
        "import sqlite3\n"
        "def f(s):\n"
        "    rows = s.store.conn.execute('SELECT id FROM activities')\n"
        "    with s.store.transaction():\n"
        '        s.store.query(f"UPDATE {t} SET deleted = 1")\n'
    )
    found = {what.split(" ")[0] for _, what in _sql_problems(widget, may_transact=False)}
    assert found == {"imports", "uses", "SQL", "opens"}
    service = "def f(s):\n    with s.store.transaction():\n        s.save(1)\n"
    assert _sql_problems(service, may_transact=True) == []
    assert not _sql_problems(
        "label = '选择 SELECT 一项'\nx = request.url.query\n", may_transact=False
    )
