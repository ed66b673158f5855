"""This PC's secrets (the device token), kept out of the station file and its backups
(docs/architecture.md, decision 4; docs/it-deployment.md, "What a lost backup exposes").

One small interface, :class:`Credentials` (``get``/``put``/``delete`` by name), two places:

- the OS credential store through ``keyring`` — Windows Credential Manager, the Secret Service
  (GNOME keyring / KWallet) on UOS and Kylin — when ``keyring`` is installed and finds a working
  backend (**the Windows path is not tested here**: the test machine has no credential store; the
  keyring path is tested through keyring's own API with an in-memory backend);
- otherwise a file per secret in a folder of its own (``PZH_STATION_CREDENTIALS_DIR``, else
  platformdirs' user config dir ``pzh-station-credentials``), never inside the data folder, so a
  backup or a copied data folder does not carry it; folder mode 700, files mode 600.

``PZH_STATION_CREDENTIALS=file`` forces the file (IT, tests).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

SERVICE = "pzh-station"
ENV_DIR = "PZH_STATION_CREDENTIALS_DIR"
ENV_KIND = "PZH_STATION_CREDENTIALS"
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,120}")


class Credentials(Protocol):
    where: str  # for the sync page and diagnostics: where the secrets are kept

    def get(self, name: str) -> str | None: ...
    def put(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


def _check(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a credential name: {name!r}")
    return name


class FileCredentials:
    """One file per secret, mode 600, in a folder of mode 700 outside the data folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.where = str(self.directory)

    def _path(self, name: str) -> Path:
        return self.directory / _check(name)

    def get(self, name: str) -> str | None:
        try:
            return self._path(name).read_text(encoding="utf-8") or None
        except FileNotFoundError:
            return None

    def put(self, name: str, value: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        path = self._path(name)
        tmp = path.with_name(path.name + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(value)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)  # an existing .part keeps its mode through O_CREAT
        os.replace(tmp, path)

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


class KeyringCredentials:
    """The OS credential store, through ``keyring``."""

    def __init__(self, backend: object | None = None) -> None:
        import keyring

        self._keyring = keyring
        self.backend = backend or keyring.get_keyring()
        self.where = type(self.backend).__name__

    def get(self, name: str) -> str | None:
        return self.backend.get_password(SERVICE, _check(name))  # type: ignore[attr-defined,no-any-return]

    def put(self, name: str, value: str) -> None:
        self.backend.set_password(SERVICE, _check(name), value)  # type: ignore[attr-defined]

    def delete(self, name: str) -> None:
        try:
            self.backend.delete_password(SERVICE, _check(name))  # type: ignore[attr-defined]
        except self._keyring.errors.PasswordDeleteError:
            pass


def file_dir() -> Path:
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(f"{SERVICE}-credentials", appauthor=False))


def _keyring() -> KeyringCredentials | None:
    """The OS store when keyring finds a working one (a test write and read), else None."""
    if os.environ.get(ENV_KIND) == "file":
        return None
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
            return None
        store = KeyringCredentials(backend)
        store.put("probe", "1")
        if store.get("probe") != "1":
            return None
        store.delete("probe")
        return store
    except Exception as exc:  # noqa: BLE001 - no usable store: the file (logged)
        log.info("no OS credential store (%s): secrets go to a file", type(exc).__name__)
        return None


_default: Credentials | None = None


def default() -> Credentials:
    """Where this PC keeps its secrets (chosen once per process)."""
    global _default
    if _default is None:
        _default = _keyring() or FileCredentials(file_dir())
    return _default


def use(store: Credentials | None) -> None:
    """Replace the choice (tests; None: choose again)."""
    global _default
    _default = store
