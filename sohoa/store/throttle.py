"""Slowing repeated login failures per user name and per client, the same for unknown names.

Three counters of recent failures (forgotten :data:`WINDOW_S` after the last one): per client
address, per (name, client) and per name from any client. An attempt is counted *before* its
password is checked, so parallel attempts each see the ones started before them, and attempts
from one client take turns (a lock per client): twenty parallel guesses from one machine wait
0, 0, 0, 0.5, 1, 2, 4, 5, 5 ... seconds one after the other instead of all at once.

The name-wide counter (failures from other clients) slows a name by at most
:data:`NAME_MAX_DELAY_S`, so a guesser elsewhere on the network cannot make the real clerk wait
the full five seconds. The counters do not know whether a name exists, and every failed attempt
takes the same time (see :data:`FAILURE_FLOOR_S`), so response times do not tell names apart.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from contextvars import ContextVar

FREE_FAILURES = 3
BASE_DELAY_S = 0.5
MAX_DELAY_S = 5.0
NAME_MAX_DELAY_S = 1.0
WINDOW_S = 900.0
FAILURE_FLOOR_S = 0.35  # a failed attempt never answers sooner than this after its delay
MAX_KEYS = 20_000  # counters kept (oldest forgotten first): a name spray cannot fill memory

# The client address of the login being handled; the review server sets it per request.
LOGIN_CLIENT: ContextVar[str] = ContextVar("sohoa_login_client", default="")


def login_delay(failures: int) -> float:
    """Seconds to wait before checking a password after ``failures`` failures in a row."""
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (failures - FREE_FAILURES)))


def _name_key(name: str) -> str:
    return hashlib.sha256(name.casefold().encode("utf-8")).hexdigest()[:32]


class LoginThrottle:
    """Failure counters and per-client turns; one per workspace object, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._turns: dict[str, threading.Lock] = {}

    def keys(self, name: str, client: str) -> tuple[str, str, str]:
        n = _name_key(name)
        return f"c:{client}", f"nc:{n}:{client}", f"n:{n}"

    def turn(self, client: str) -> threading.Lock:
        """The lock attempts from ``client`` take turns on."""
        with self._lock:
            if len(self._turns) > MAX_KEYS:
                self._turns = {k: v for k, v in self._turns.items() if v.locked()}
            return self._turns.setdefault(client, threading.Lock())

    def _get(self, key: str, now: float) -> int:
        count, last = self._counts.get(key, (0, now))
        return 0 if now - last > WINDOW_S else count

    def begin(self, keys: tuple[str, str, str]) -> float:
        """Count this attempt as a failure now (undone by :meth:`succeeded`); its delay."""
        now = time.monotonic()
        with self._lock:
            client, name_client, name = (self._get(k, now) for k in keys)
            for key in keys:
                self._counts[key] = (self._get(key, now) + 1, now)
                self._counts.move_to_end(key)
            while len(self._counts) > MAX_KEYS:
                self._counts.popitem(last=False)
        return max(login_delay(client), login_delay(name_client),
                   min(NAME_MAX_DELAY_S, login_delay(name)))

    def succeeded(self, keys: tuple[str, str, str]) -> None:
        with self._lock:
            for key in keys:
                self._counts.pop(key, None)

    def failures(self, key: str) -> int:
        with self._lock:
            return self._get(key, time.monotonic())


def sleep_until(deadline: float) -> None:
    left = deadline - time.monotonic()
    if left > 0:
        time.sleep(left)


class ClientAddressMiddleware:
    """ASGI middleware: makes the client address of each HTTP request the login client.

    Gradio's ``auth=`` callable gets only the name and the password; this sets
    :data:`LOGIN_CLIENT` for the request (same task, so the auth call sees it).
    """

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope.get("type") != "http":
            return await self.app(scope, receive, send)
        client = scope.get("client") or ("", 0)
        token = LOGIN_CLIENT.set(str(client[0]))
        try:
            return await self.app(scope, receive, send)
        finally:
            LOGIN_CLIENT.reset(token)
