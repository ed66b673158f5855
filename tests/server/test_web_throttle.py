"""Sign-in throttling reserves an attempt before the password is checked, so concurrent wrong
passwords cannot all be tried (AccountStore on a real SQLite file, real Argon2), and counts the
attempts in the server's database (both engines; two server processes: test_multiprocess.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from sync.server.web.accounts import AccountStore
from sync.server.web.throttle import MAX_FAILURES, WINDOW_MS, SignInThrottle, Throttled
from tests.web_support import PASSWORD


class Clock:
    def __init__(self) -> None:
        self.ms = 1_790_000_000_000

    def __call__(self) -> int:
        return self.ms


def _accounts(tmp_path: Path, storage) -> AccountStore:
    store = AccountStore(tmp_path / "web.sqlite3", throttle=SignInThrottle(storage))
    store.create_user("chen", "city", PASSWORD)
    return store


def test_concurrent_wrong_passwords_are_not_all_checked(tmp_path: Path, make_storage) -> None:
    store = _accounts(tmp_path, make_storage())
    checked = []
    lock = threading.Lock()

    class CountingHasher(PasswordHasher):  # the real Argon2 check, counted
        def verify(self, hash_: str, password: str) -> bool:
            with lock:
                checked.append(password)
            return super().verify(hash_, password)

    store._hasher = CountingHasher()
    start = threading.Barrier(25)

    def attempt(i: int) -> str:
        start.wait()
        try:
            return "ok" if store.authenticate("chen", f"guess-{i}", "10.0.0.9") else "wrong"
        except Throttled:
            return "throttled"

    with ThreadPoolExecutor(25) as pool:
        results = list(pool.map(attempt, range(25)))
    assert len(checked) == MAX_FAILURES
    assert results.count("wrong") == MAX_FAILURES
    assert results.count("throttled") == 25 - MAX_FAILURES
    # The right password is refused too until the window passes (never even checked).
    with pytest.raises(Throttled) as refused:
        store.authenticate("chen", PASSWORD, "10.0.0.9")
    assert refused.value.wait_s > 0
    assert len(checked) == MAX_FAILURES


def test_a_successful_sign_in_gives_its_reservation_back(tmp_path: Path, make_storage) -> None:
    storage = make_storage()
    store = _accounts(tmp_path, storage)
    for _ in range(MAX_FAILURES - 1):
        assert store.authenticate("chen", "wrong-password", "a") is None
    for _ in range(10):  # many good sign-ins from one address never lock it
        assert store.authenticate("chen", PASSWORD, "a") is not None
    assert SignInThrottle(storage).wait_s("chen", "a") == 0


def test_failures_are_counted_in_the_database_until_the_window_passes(
    tmp_path: Path, make_storage
) -> None:
    clock = Clock()
    storage = make_storage(now=clock)
    store = _accounts(tmp_path, storage)
    for _ in range(MAX_FAILURES):
        assert store.authenticate("CHEN ", "wrong-password", "a") is None  # one name, any case
    assert storage.query("SELECT key FROM srv_signin WHERE times <> '[]' ORDER BY key") == [
        {"key": "a:a"},
        {"key": "n:chen"},
    ]
    # A fresh store and throttle (nothing in memory) refuses the name from another address.
    other = AccountStore(tmp_path / "web.sqlite3", throttle=SignInThrottle(storage))
    with pytest.raises(Throttled) as refused:
        other.authenticate("chen", PASSWORD, "b")
    assert 0 < refused.value.wait_s <= WINDOW_MS // 1000 + 1
    clock.ms += WINDOW_MS - 1000  # still within the window of the first failure
    assert SignInThrottle(storage).wait_s("chen", "b") >= 1
    clock.ms += 1000
    assert other.authenticate("chen", PASSWORD, "b") is not None
