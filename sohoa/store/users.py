"""Review users of a workspace: argon2 password hashes, roles, and slowed repeated failures.

After ``FREE_FAILURES`` wrong passwords in a row, each further attempt for that name first
waits ``0.5 s * 2^(n - FREE_FAILURES)`` (at most 5 s) and logs a warning; a correct password
resets the count. Guessing a clerk's password from the commune network becomes slow and loud
without locking the clerk out for good.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from functools import cache

from sohoa.records import nfc
from sohoa.store.base import StoreBase
from sohoa.store.schema import ROLES
from sohoa.store.types import User, WorkspaceError, WorkspaceNotFound, utc_now

log = logging.getLogger(__name__)

FREE_FAILURES = 3
BASE_DELAY_S = 0.5
MAX_DELAY_S = 5.0


@cache
def _hasher():  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return str(_hasher().hash("not a password of anyone"))


def login_delay(failures: int) -> float:
    """Seconds to wait before checking a password after ``failures`` failures in a row."""
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (failures - FREE_FAILURES)))


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

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if ``password`` is right, else None (the failure is counted and slowed)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        name = nfc(name).strip()
        rows = self._query("SELECT * FROM users WHERE name = ?", (name,))
        if not rows:
            try:  # same work as a real check, so a wrong name is not faster than a wrong password
                _hasher().verify(_dummy_hash(), password or "-")
            except VerificationError:
                pass
            log.warning("login failed: unknown user %r", name)
            return None
        row = rows[0]
        delay = login_delay(int(row["failed_logins"]))
        if delay:
            log.warning("user %r: %d failed logins in a row, waiting %.1f s",
                        name, row["failed_logins"], delay)
            time.sleep(delay)
        try:
            _hasher().verify(row["pw_hash"], password)
        except (VerificationError, InvalidHashError):
            self._write(lambda c: c.execute(
                "UPDATE users SET failed_logins = failed_logins + 1, last_failed_at = ?"
                " WHERE name = ?", (utc_now(), name)))
            log.warning("login failed for user %r", name)
            return None
        new_hash = None
        if _hasher().check_needs_rehash(row["pw_hash"]):
            new_hash = _hasher().hash(password)
        self._write(lambda c: c.execute(
            "UPDATE users SET failed_logins = 0, pw_hash = COALESCE(?, pw_hash) WHERE name = ?",
            (new_hash, name)))
        return self.user(name)
