"""Every server test runs on both engines: SQLite (the default) and PostgreSQL.

``engine`` (module scope, autouse, parametrized ``sqlite``/``postgres``) picks the engine; on
``postgres`` it starts, once per session, a throwaway cluster (tests/pg_cluster.py). The autouse
``database`` fixture then gives each test a fresh migrated database and sets
``PZH_SYNC_DATABASE`` to it, so ``create_app``, the admin commands and server subprocesses use
it; module-scoped fixtures take ``module_database``. ``make_storage`` makes more fresh storages
(one per hypothesis example). Where PostgreSQL is not installed the ``postgres`` half is skipped
with the reason.

Time budget: in the default run the PostgreSQL half runs for the modules in ``QUICK`` — the
protocol, merge, identity, set-aside, concurrency and migration tests — and adds about 1.5 CPU
minutes (2-4 minutes of wall time on the shared 2-core machine; cluster start ~3 s, each test's
database emptied with TRUNCATE in ~0.05 s). The other modules (web pages, fuzzing: about 3 more
minutes) run on PostgreSQL with ``--full`` and in CI.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import pg_cluster

QUICK = {
    "test_audit_log.py",
    "test_server_api.py",
    "test_server_merge.py",
    "test_multiprocess.py",
    "test_migrations.py",
    "test_device_identity.py",
    "test_set_aside.py",
    "test_period_approval.py",
    "test_aggregates.py",
    "test_sync_restore_clock.py",
    "test_compact_clocks.py",
    "test_facts_unknown.py",
    "test_certificate_numbers.py",
    "test_bulk_writes.py",
    "test_write_turns.py",
}
_cluster: list[pg_cluster.Cluster] = []


def _get_cluster() -> pg_cluster.Cluster:
    if not _cluster:
        _cluster.append(pg_cluster.Cluster())
    return _cluster[0]


def pytest_sessionfinish(session: pytest.Session) -> None:
    while _cluster:
        _cluster.pop().stop()


@pytest.fixture(scope="module", autouse=True, params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        reason = pg_cluster.unavailable()
        if reason:
            pytest.skip(f"PostgreSQL half skipped: {reason}")
        module = Path(str(request.node.fspath)).name
        full = request.config.getoption("--full") or os.environ.get("CI", "").lower() == "true"
        if module not in QUICK and not full:
            pytest.skip("PostgreSQL half of this module runs with --full (and in CI)")
        _get_cluster()
    return request.param


_shared: dict[str, str] = {}  # purpose -> URL of a database reset before each use


def _reset_database(purpose: str) -> str:
    cluster = _get_cluster()
    if purpose not in _shared:
        _shared[purpose] = cluster.new_database()
    else:
        cluster.reset(_shared[purpose])
    return _shared[purpose]


@pytest.fixture(scope="module")
def module_database(engine: str) -> Iterator[str | None]:
    """For module-scoped fixtures: None (SQLite in the data dir) or a fresh PostgreSQL URL."""
    if engine == "sqlite":
        yield None
        return
    url = _get_cluster().new_database()
    yield url
    _get_cluster().drop_database(url)


@pytest.fixture(autouse=True)
def database(engine: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str | None]:
    """None for SQLite (the file in the data dir), else the URL of an empty database, also in
    ``PZH_SYNC_DATABASE``."""
    if engine == "sqlite":
        monkeypatch.delenv("PZH_SYNC_DATABASE", raising=False)
        yield None
        return
    url = _reset_database("test")
    monkeypatch.setenv("PZH_SYNC_DATABASE", url)
    yield url


@pytest.fixture
def empty_database(engine: str, tmp_path: Path) -> Iterator[str | Path]:
    """A database without any table yet: a new SQLite path, or a new PostgreSQL database."""
    if engine == "sqlite":
        yield tmp_path / "empty" / "server.sqlite3"
        return
    url = _get_cluster().new_database(empty=True)
    yield url
    _get_cluster().drop_database(url)


@pytest.fixture
def make_storage(engine: str, tmp_path: Path) -> Iterator[Callable[..., object]]:
    """``make_storage(now=…)``: a fresh storage on this test's engine; the one made before is
    closed (on PostgreSQL each is the same database, emptied)."""
    from sync.server.sql_storage import open_storage

    made: list[object] = []

    def make(**kw: object):
        for old in made:
            old.close()  # type: ignore[attr-defined]
        made.clear()
        if engine == "sqlite":
            where: str | Path = tmp_path / f"s{id(kw)}-{len(os.listdir(tmp_path))}.sqlite3"
        else:
            where = _reset_database("make_storage")
        storage = open_storage(where, **kw)  # type: ignore[arg-type]
        made.append(storage)
        return storage

    yield make
    for old in made:
        old.close()  # type: ignore[attr-defined]
