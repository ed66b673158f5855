"""Sign-in throttling reserves an attempt before the password is checked, so concurrent wrong
passwords cannot all be tried (AccountStore on a real SQLite file, real Argon2)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from argon2 import PasswordHasher

from sync.server.web.accounts import AccountStore
from sync.server.web.throttle import MAX_FAILURES, Throttled
from tests.web_support import PASSWORD


def test_concurrent_wrong_passwords_are_not_all_checked(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "web.sqlite3")
    store.create_user("chen", "city", PASSWORD)
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
    try:
        store.authenticate("chen", PASSWORD, "10.0.0.9")
        raise AssertionError("not throttled")
    except Throttled as exc:
        assert exc.wait_s > 0
    assert len(checked) == MAX_FAILURES


def test_a_successful_sign_in_gives_its_reservation_back(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "web.sqlite3")
    store.create_user("chen", "city", PASSWORD)
    for _ in range(MAX_FAILURES - 1):
        assert store.authenticate("chen", "wrong-password", "a") is None
    for _ in range(10):  # many good sign-ins from one address never lock it
        assert store.authenticate("chen", PASSWORD, "a") is not None
    assert store.throttled("chen", "a") == 0
