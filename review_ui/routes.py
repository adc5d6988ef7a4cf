"""Two routes of our own in front of the Gradio app (an ASGI middleware, so Gradio's routes
and its login check stay as they are):

- ``GET /`` without a login: our Vietnamese login page (``lang="vi"``, the user name field
  focused, the name kept after a failed attempt, an English switch). It posts to Gradio's own
  ``/login``, so the password check (the store's, slowed after failures) is unchanged.
- ``GET /sohoa/search?kind=place|name&q=...``: suggestions while a clerk types a place or a
  name (:mod:`sohoa.fields.typing_search`); logged-in users only, JSON.
"""

from __future__ import annotations

import json
import logging
from http.cookies import SimpleCookie
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

log = logging.getLogger(__name__)

SEARCH_PATH = "/sohoa/search"


def _page() -> bytes:
    return resources.files("review_ui.static").joinpath("login.html").read_bytes()


def current_user(scope: dict[str, Any]) -> str | None:
    """The logged-in user of a request, from Gradio's session cookie (None if none)."""
    app = scope.get("app")
    tokens = getattr(app, "tokens", None)
    cookie_id = getattr(app, "cookie_id", None)
    if not tokens or cookie_id is None:
        return None
    raw = b"; ".join(v for k, v in scope.get("headers", ()) if k == b"cookie").decode("latin-1")
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed cookie header is no login
        return None
    for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
        if name in jar and jar[name].value in tokens:
            return str(tokens[jar[name].value])
    return None


async def _reply(send: Any, status: int, body: bytes, ctype: str) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]})
    await send({"type": "http.response.body", "body": body})


class ReviewRoutes:
    """ASGI middleware serving the login page and the typing search."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and scope.get("method") in ("GET", "HEAD"):
            path = scope.get("path", "")
            if path == SEARCH_PATH:
                await self._search(scope, send)
                return
            if path == "/" and current_user(scope) is None:
                await _reply(send, 200, _page(), "text/html; charset=utf-8")
                return
        await self.app(scope, receive, send)

    async def _search(self, scope: dict[str, Any], send: Any) -> None:
        if current_user(scope) is None:
            await _reply(send, 401, b'{"detail":"Not authenticated"}', "application/json")
            return
        import anyio

        from sohoa.fields.typing_search import search

        q = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
        kind = (q.get("kind") or [""])[0]
        text = (q.get("q") or [""])[0]
        found = await anyio.to_thread.run_sync(search, kind, text)
        body = json.dumps(found, ensure_ascii=False).encode("utf-8")
        await _reply(send, 200, body, "application/json; charset=utf-8")
