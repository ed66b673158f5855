"""Web accounts of city and county staff: users, sessions and sign-in throttling.

Kept in their own SQLite file (``web.sqlite3`` in the server's data dir), apart from the sync
storage: the sync tables never hold passwords, and a PostgreSQL sync backend leaves this as is.

- Passwords are hashed with Argon2id (argon2-cffi defaults); the hash is re-computed when the
  library's parameters grow (``check_needs_rehash``).
- A session is a random token held in an HttpOnly cookie; the file keeps only its SHA-256. It
  expires after :data:`IDLE_MS` without use and :data:`MAX_AGE_MS` after sign-in, whichever
  comes first. Each session has its own CSRF token, checked on every form.
- Sign-in throttling: :mod:`sync.server.web.throttle`, counted in the server's database, not
  this file (an attempt is reserved before its password is checked).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sync.server.web.throttle import SignInThrottle

DB_NAME = "web.sqlite3"
ROLES = ("city", "county")
ROLE_LABELS = {"city": "市文化馆", "county": "县（区）文化馆"}
MIN_PASSWORD = 8
IDLE_MS = 2 * 3600 * 1000
MAX_AGE_MS = 12 * 3600 * 1000
TOUCH_EVERY_MS = 60 * 1000  # refresh a session's last use at most once a minute

DDL = [
    """CREATE TABLE IF NOT EXISTS web_users (
        id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role TEXT NOT NULL, county TEXT NOT NULL DEFAULT '', password_hash TEXT NOT NULL,
        created_ms INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS web_sessions (
        token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES web_users(id),
        csrf TEXT NOT NULL, created_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS web_sessions_user ON web_sessions(user_id)",
]


CITY_LEFT = "SELECT COUNT(*) FROM web_users WHERE role = 'city' AND disabled = 0"


class AccountError(ValueError):
    """An account that cannot be created as asked; the message is Chinese."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str  # city | county
    county: str  # the county label for a county user, "" for the city
    disabled: bool = False
    created_ms: int = 0

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def sees_county(self, county: str) -> bool:
        """Whether this user may see and manage the stations of ``county``."""
        return self.role == "city" or (self.role == "county" and county == self.county)


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    token_hash: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def county_label(county: str) -> str | None:
    """The county's label from its label or code (the stations store the label); None if unknown."""
    from pzh_core.domain import refdata

    code = refdata.code_for("counties", county or "")
    return refdata.label("counties", code) if code else None


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        county=row["county"],
        disabled=bool(row["disabled"]),
        created_ms=row["created_ms"],
    )


class AccountStore:
    """Users and sessions in ``path``.

    :param path: the SQLite file (created with its tables when missing).
    :param now: wall clock in ms (the server's, so tests can move it).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        now: Callable[[], int] | None = None,
        throttle: SignInThrottle | None = None,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.now = now or (lambda: int(time.time() * 1000))
        self._hasher = PasswordHasher()
        # A hash to verify against when the name is unknown, so both cases take as long.
        self._dummy = self._hasher.hash(secrets.token_hex(16))
        # Counts failed sign-ins in the server's database; a store made only to manage
        # accounts (the command line) signs nobody in and has none.
        self.throttle = throttle
        with closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            for ddl in DDL:
                conn.execute(ddl)

    def _connect(self) -> sqlite3.Connection:
        # One short connection per operation: cheap for SQLite, and safe from any thread.
        conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn

    # -- users -----------------------------------------------------------------------------
    @staticmethod
    def _scope(role: str, county: str) -> str:
        """The county label a user of ``role`` gets (``""`` for the city); AccountError if wrong."""
        if role not in ROLES:
            raise AccountError("角色只能是 city（市文化馆）或 county（县区文化馆）。")
        if role == "city":
            if county:
                raise AccountError("市文化馆用户不属于某个县（区），请去掉 --county。")
            return ""
        label = county_label(county) or ""
        if not label:
            from pzh_core.domain import refdata

            raise AccountError(f"县区用户须指定县（区），可选：{'、'.join(refdata.counties())}")
        return label

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password or "") < MIN_PASSWORD:
            raise AccountError(f"密码至少{MIN_PASSWORD}个字符。")
        if len(password) > 200:
            raise AccountError("密码最多200个字符。")

    def create_user(
        self, name: str, role: str, password: str, *, county: str = "", replace: bool = False
    ) -> User:
        """Create an account (or, with ``replace``, set a new password, role and county for an
        existing one and end its sessions).

        :param name: the sign-in name (case-insensitive, unique).
        :param role: ``city`` (every station) or ``county`` (the stations of ``county``).
        :param county: county label or code; required for a county user.
        :raises AccountError: bad name, role, county or password (Chinese message).
        """
        name = (name or "").strip()
        if not name or len(name) > 50 or any(c.isspace() or not c.isprintable() for c in name):
            raise AccountError("用户名不能为空、不能含空格或控制字符，最多50个字符。")
        label = self._scope(role, county)
        self._check_password(password)
        pw_hash = self._hasher.hash(password)
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT id FROM web_users WHERE name = ?", (name,)).fetchone()
                if row is not None and not replace:
                    raise AccountError(f"用户“{name}”已存在。")
                if row is not None:
                    conn.execute(
                        "UPDATE web_users SET role = ?, county = ?, password_hash = ?,"
                        " disabled = 0 WHERE id = ?",
                        (role, label, pw_hash, row["id"]),
                    )
                    conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (row["id"],))
                    uid = row["id"]
                else:
                    uid = conn.execute(
                        "INSERT INTO web_users (name, role, county, password_hash, created_ms)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (name, role, label, pw_hash, self.now()),
                    ).lastrowid
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return User(id=int(uid), name=name, role=role, county=label)

    def list_users(self, *, include_disabled: bool = False) -> list[User]:
        where = "" if include_disabled else " WHERE disabled = 0"
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT id, name, role, county, disabled, created_ms FROM web_users"
                + where
                + " ORDER BY name"
            ).fetchall()
        return [_user(r) for r in rows]

    def get_user(self, user_id: int) -> User | None:
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT id, name, role, county, disabled, created_ms FROM web_users WHERE id = ?",
                (user_id,),
            ).fetchone()
        return _user(row) if row else None

    def _change(self, user_id: int, sql: str, params: tuple, *, end_sessions: bool) -> User:
        """One UPDATE of one user (and the end of their sessions) in one transaction; the last
        enabled city account is never disabled nor turned into a county one."""
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                before = conn.execute(CITY_LEFT).fetchone()[0]
                conn.execute(sql + " WHERE id = ?", (*params, user_id))
                if before and not conn.execute(CITY_LEFT).fetchone()[0]:
                    raise AccountError("至少要保留一个可用的市文化馆账号。")
                if end_sessions:
                    conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (user_id,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        user = self.get_user(user_id)
        if user is None:
            raise AccountError("没有这个账号。")
        return user

    def set_password(self, user_id: int, password: str) -> User:
        """A new password; the account's sessions end (signed out everywhere)."""
        self._check_password(password)
        return self._change(
            user_id,
            "UPDATE web_users SET password_hash = ?",
            (self._hasher.hash(password),),
            end_sessions=True,
        )

    def set_disabled(self, user_id: int, disabled: bool) -> User:
        """Disable (signed out everywhere, cannot sign in) or enable an account."""
        return self._change(
            user_id, "UPDATE web_users SET disabled = ?", (int(disabled),), end_sessions=disabled
        )

    def set_scope(self, user_id: int, role: str, county: str = "") -> User:
        """Change what an account sees (city, or one county); its sessions end."""
        label = self._scope(role, county)
        return self._change(
            user_id, "UPDATE web_users SET role = ?, county = ?", (role, label), end_sessions=True
        )

    # -- sign-in and sessions ----------------------------------------------------------------
    def authenticate(self, name: str, password: str, address: str) -> User | None:
        """The user when name and password match, else None (the failure is counted).

        :raises Throttled: too many failures for this name or address lately; the password is
            then not checked at all.
        """
        name = (name or "").strip()[:100]
        if self.throttle is None:
            raise RuntimeError("signing in needs the server's SignInThrottle")
        stamp = self.throttle.reserve(name, address)
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT id, name, role, county, password_hash FROM web_users WHERE name = ?"
                " AND disabled = 0",
                (name,),
            ).fetchone()
        try:
            self._hasher.verify(row["password_hash"] if row else self._dummy, password or "")
            ok = row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            return None
        self.throttle.release(name, address, stamp)
        if self._hasher.check_needs_rehash(row["password_hash"]):
            with closing(self._connect()) as conn:
                conn.execute(
                    "UPDATE web_users SET password_hash = ? WHERE id = ?",
                    (self._hasher.hash(password), row["id"]),
                )
        return User(id=row["id"], name=row["name"], role=row["role"], county=row["county"])

    def start_session(self, user: User) -> str:
        """A new session for ``user``; returns the token to put in the cookie."""
        token = secrets.token_urlsafe(32)
        now = self.now()
        with closing(self._connect()) as conn:
            # Expired sessions are swept here, so the table never grows without bound.
            conn.execute(
                "DELETE FROM web_sessions WHERE last_ms < ? OR created_ms < ?",
                (now - IDLE_MS, now - MAX_AGE_MS),
            )
            conn.execute(
                "INSERT INTO web_sessions (token_hash, user_id, csrf, created_ms, last_ms)"
                " VALUES (?, ?, ?, ?, ?)",
                (_hash(token), user.id, secrets.token_urlsafe(32), now, now),
            )
        return token

    def session(self, token: str | None) -> Session | None:
        """The live session of a cookie token (None when unknown, expired or its user disabled)."""
        if not token or len(token) > 200:
            return None
        now = self.now()
        th = _hash(token)
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT s.csrf, s.created_ms, s.last_ms, u.id, u.name, u.role, u.county FROM"
                " web_sessions s"
                " JOIN web_users u ON u.id = s.user_id WHERE s.token_hash = ? AND u.disabled = 0",
                (th,),
            ).fetchone()
            if row is None:
                return None
            if now - row["last_ms"] > IDLE_MS or now - row["created_ms"] > MAX_AGE_MS:
                conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (th,))
                return None
            if now - row["last_ms"] > TOUCH_EVERY_MS:
                conn.execute("UPDATE web_sessions SET last_ms = ? WHERE token_hash = ?", (now, th))
        user = User(id=row["id"], name=row["name"], role=row["role"], county=row["county"])
        return Session(user=user, csrf=row["csrf"], token_hash=th)

    def end_session(self, token: str | None) -> None:
        if token:
            with closing(self._connect()) as conn:
                conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (_hash(token),))
