"""The device token lives in the PC's credential store, not in the station file (issue 18;
docs/architecture.md decision 4): the file fallback, the keyring path (through keyring's own
API with an in-memory backend: no OS store on the test machine), and the move out of files
written by older versions."""

from __future__ import annotations

import stat

import pytest

from pzh_station import credentials
from pzh_station.store import Store, sync_state


def memory_keyring():
    """An in-memory backend through keyring's own API (a desk dependency; skipped in a venv
    installed before it was added)."""
    keyring_backend = pytest.importorskip("keyring.backend")

    class MemoryKeyring(keyring_backend.KeyringBackend):
        priority = 10

        def __init__(self) -> None:
            super().__init__()
            self.items: dict[tuple[str, str], str] = {}

        def get_password(self, service, username):
            return self.items.get((service, username))

        def set_password(self, service, username, password):
            self.items[(service, username)] = password

        def delete_password(self, service, username):
            self.items.pop((service, username), None)

    return MemoryKeyring()


@pytest.fixture
def file_store(tmp_path):
    store = credentials.FileCredentials(tmp_path / "credentials")
    credentials.use(store)
    yield store
    credentials.use(None)


def test_file_fallback_keeps_each_secret_readable_by_the_user_only(file_store):
    file_store.put("device-token-abc", "s3cret")
    assert file_store.get("device-token-abc") == "s3cret"
    path = file_store.directory / "device-token-abc"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(file_store.directory.stat().st_mode) == 0o700
    file_store.put("device-token-abc", "newer")
    assert file_store.get("device-token-abc") == "newer"
    file_store.delete("device-token-abc")
    assert file_store.get("device-token-abc") is None
    with pytest.raises(ValueError):
        file_store.put("../escape", "x")


def test_the_os_store_is_used_when_keyring_has_one(monkeypatch, tmp_path):
    backend = memory_keyring()
    import keyring

    monkeypatch.delenv(credentials.ENV_KIND, raising=False)
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    credentials.use(None)
    try:
        chosen = credentials.default()
        assert isinstance(chosen, credentials.KeyringCredentials)
        store = Store(tmp_path / "station.sqlite3")
        sync_state.keep_token(store, "dev-1", "tok-1")
        assert backend.items == {("pzh-station", "device-token-dev-1"): "tok-1"}
        store.set_meta("sync_device_id", "dev-1")
        assert sync_state.SyncState.load(store).token == "tok-1"
        store.close()
    finally:
        credentials.use(None)


def test_without_a_working_os_store_the_file_is_used(monkeypatch, tmp_path):
    pytest.importorskip("keyring")
    import keyring
    from keyring.backends import fail

    monkeypatch.delenv(credentials.ENV_KIND, raising=False)
    monkeypatch.setenv(credentials.ENV_DIR, str(tmp_path / "c"))
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    credentials.use(None)
    try:
        chosen = credentials.default()
        assert isinstance(chosen, credentials.FileCredentials)
        assert chosen.directory == tmp_path / "c"
    finally:
        credentials.use(None)


def test_a_token_in_an_older_file_moves_out_on_first_start(file_store, tmp_path):
    path = tmp_path / "station.sqlite3"
    old = Store(path)
    token = "OLD-TOKEN-kept-in-the-file-by-an-older-version"
    old.set_meta("sync_device_id", "dev-9")
    old.set_meta("sync_token", token)  # as versions before this one kept it
    old.close()
    store = Store(path)  # first start of this version
    try:
        assert store.meta("sync_token") is None
        assert file_store.get("device-token-dev-9") == token
        assert sync_state.SyncState.load(store).token == token
    finally:
        store.close()
    assert token.encode() not in path.read_bytes()  # overwritten, not left in a free page


def test_the_bundle_key_lives_in_the_credential_store_not_in_the_file(file_store, tmp_path):
    from pzh_station.sync_client import bundle as desk_bundle

    path = tmp_path / "station.sqlite3"
    old = Store(path)
    legacy = "LEGACY-BUNDLE-KEY-kept-in-the-file-by-the-first-bundle-version"
    old.set_meta("bundle_private_key", legacy)
    old.close()
    store = Store(path)  # first start of this version: the key moves out
    try:
        assert store.meta("bundle_private_key") is None
        assert desk_bundle.private_key(store) == legacy
        assert desk_bundle.private_key(store) == legacy  # stable
    finally:
        store.close()
    assert legacy.encode() not in path.read_bytes()
    fresh = Store(tmp_path / "other.sqlite3")
    try:
        made = desk_bundle.private_key(fresh)
        assert made and made != legacy and made == desk_bundle.private_key(fresh)
        assert made.encode() not in (tmp_path / "other.sqlite3").read_bytes()
    finally:
        fresh.close()
