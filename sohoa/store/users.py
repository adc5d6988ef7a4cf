"""Review users of a workspace: argon2 password hashes, roles, and slowed repeated failures.

After ``FREE_FAILURES`` wrong passwords in a row, each further attempt first waits
``0.5 s * 2^(n - FREE_FAILURES)`` (at most 5 s) and logs a warning; a correct password resets
the count. The counting is per client and per user name, the same for names that do not exist,
and every failure takes the same time (:mod:`sohoa.store.throttle`). Guessing a clerk's password
from the commune network becomes slow and loud without locking the clerk out for good.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from functools import cache
from pathlib import Path

from sohoa.records import nfc
from sohoa.store.base import StoreBase
from sohoa.store.schema import ROLES
from sohoa.store.throttle import (
    FAILURE_FLOOR_S,
    LOGIN_CLIENT,
    LoginThrottle,
    login_delay,
    sleep_until,
)
from sohoa.store.types import User, WorkspaceError, WorkspaceNotFound, utc_now

__all__ = ["UsersMixin", "login_delay"]

log = logging.getLogger(__name__)

@cache
def _hasher():  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return str(_hasher().hash("not a password of anyone"))


def _user(row: sqlite3.Row) -> User:
    return User(name=row["name"], role=row["role"], failed_logins=int(row["failed_logins"]),
                created_at=row["created_at"])


class UsersMixin(StoreBase):
    """User methods of :class:`sohoa.store.Workspace`."""

    def add_user(self, name: str, role: str, password: str) -> User:
        """Create a user; WorkspaceError if the name exists, the role is unknown or no password."""
        name = nfc(name).strip()
        if not name:
            raise WorkspaceError("user name is empty")
        if role not in ROLES:
            raise WorkspaceError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        if not password:
            raise WorkspaceError(f"user {name!r}: password is empty")
        pw_hash = _hasher().hash(password)

        def tx(c: sqlite3.Connection) -> None:
            if c.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise WorkspaceError(f"user {name!r} already exists")
            c.execute(
                "INSERT INTO users (name, role, pw_hash, created_at) VALUES (?,?,?,?)",
                (name, role, pw_hash, utc_now()),
            )

        self._write(tx)
        log.info("added user %s (%s)", name, role)
        return self.user(name)

    def user(self, name: str) -> User:
        rows = self._query("SELECT * FROM users WHERE name = ?", (nfc(name).strip(),))
        if not rows:
            raise WorkspaceNotFound(f"{self.path}: no user {name!r}")
        return _user(rows[0])

    def users(self) -> list[User]:
        return [_user(r) for r in self._query("SELECT * FROM users ORDER BY name")]

    def set_password(self, name: str, password: str) -> None:
        if not password:
            raise WorkspaceError(f"user {name!r}: password is empty")
        pw_hash = _hasher().hash(password)
        name = nfc(name).strip()

        def tx(c: sqlite3.Connection) -> None:
            cur = c.execute(
                "UPDATE users SET pw_hash = ?, failed_logins = 0 WHERE name = ?", (pw_hash, name)
            )
            if cur.rowcount == 0:
                raise WorkspaceNotFound(f"{self.path}: no user {name!r}")

        self._write(tx)

    def authenticate(self, name: str, password: str, client: str | None = None) -> User | None:
        """The user if ``password`` is right, else None (after a delay; see
        :mod:`sohoa.store.throttle`). ``client``: the caller's address (default: the one the
        review server set for this request, else "")."""
        from argon2.exceptions import InvalidHashError, VerificationError

        start = time.monotonic()
        name = nfc(name).strip()
        client = LOGIN_CLIENT.get() if client is None else client
        throttle = _throttle(self.db_path)
        keys = throttle.keys(name, client)
        with throttle.turn(client):
            delay = throttle.begin(keys)
            if delay:
                log.warning("login %r from %r: repeated failures, waiting %.1f s",
                            name, client or "local", delay)
                time.sleep(delay)
            rows = self._query("SELECT * FROM users WHERE name = ?", (name,))
            # the same work for an unknown name as for a wrong password
            pw_hash = rows[0]["pw_hash"] if rows else _dummy_hash()
            try:
                ok = bool(_hasher().verify(pw_hash, password or "-")) and bool(rows)
            except (VerificationError, InvalidHashError):
                ok = False
            if not ok:
                self._write(lambda c: c.execute(
                    "UPDATE users SET failed_logins = failed_logins + 1, last_failed_at = ?"
                    " WHERE name = ?", (utc_now(), name)))
                log.warning("login failed for %r from %r", name, client or "local")
                sleep_until(start + delay + FAILURE_FLOOR_S)  # every failure takes as long
                return None
        throttle.succeeded(keys)
        new_hash = None
        if _hasher().check_needs_rehash(rows[0]["pw_hash"]):
            new_hash = _hasher().hash(password)
        self._write(lambda c: c.execute(
            "UPDATE users SET failed_logins = 0, pw_hash = COALESCE(?, pw_hash) WHERE name = ?",
            (new_hash, name)))
        return self.user(name)


_THROTTLES: dict[str, LoginThrottle] = {}
_THROTTLES_LOCK = threading.Lock()


def _throttle(db_path: Path) -> LoginThrottle:
    """One throttle per workspace database in this process (every connection shares it)."""
    key = str(Path(db_path).resolve())
    with _THROTTLES_LOCK:
        return _THROTTLES.setdefault(key, LoginThrottle())
