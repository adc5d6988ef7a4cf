"""The review web app: login, role-dependent tabs, and a local-only launch.

Nothing leaves the machine: analytics off, no share link, system fonts only (no CDN), bound to
127.0.0.1 unless told otherwise. Every route of the app needs a login (Gradio ``auth=``).
"""

from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path
from typing import Any

import gradio as gr

from review_ui import admin_tabs, entry_tab, logic, sweep_tab
from review_ui.context import AppContext
from review_ui.i18n import LANGUAGES, t

log = logging.getLogger(__name__)

FONTS = ["Segoe UI", "Noto Sans", "DejaVu Sans", "Roboto", "Arial", "sans-serif"]
AUTH_MESSAGE = ("Rà soát sổ hộ tịch — đăng nhập bằng tên và mật khẩu được cấp "
                "(Civil-status register review — username / password)")
MONO = ["Consolas", "DejaVu Sans Mono", "monospace"]


def _offline_env() -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    # Gradio's queue summarises its last N events with pandas after every event (for its
    # monitoring page, which is off): ~6 ms CPU per event at 2,000 events, ~30 at 10,000
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000000000")
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "200")


def _static(name: str) -> str:
    return resources.files("review_ui.static").joinpath(name).read_text(encoding="utf-8")


def build_app(ctx: AppContext) -> Any:
    """The Gradio Blocks of the review app (not launched)."""
    _offline_env()
    with gr.Blocks(title=t("vi", "app_title"), analytics_enabled=False, fill_width=True) as demo:
        lang = gr.State("vi")
        with gr.Row(elem_id="topbar"):
            title = gr.Markdown(f"### {t('vi', 'app_title')}")
            userline = gr.HTML(elem_classes=["userline"])
            lang_pick = gr.Radio(LANGUAGES, value="vi", show_label=False, scale=0,
                                 min_width=220, container=False, elem_id="lang-pick")
            logout = gr.Button(t("vi", "logout"), link="/logout", size="sm", scale=0,
                               min_width=110)
        with gr.Tabs(elem_id="tabs") as tabs:
            with gr.Tab(t("vi", "tab_entry"), id="entry", elem_id="tab-entry") as tab_entry:
                entry = entry_tab.build(ctx, lang)
                keys = gr.Markdown(t("vi", "keys_help"), elem_id="keys")
            with gr.Tab(t("vi", "tab_sweep"), id="sweep", elem_id="tab-sweep") as tab_sweep:
                sweep = sweep_tab.build(ctx, lang)
            with gr.Tab(t("vi", "tab_approve"), id="approve", visible=False,
                        elem_id="tab-approve") as tab_approve:
                approve = admin_tabs.build_approver(ctx, lang)
            with gr.Tab(t("vi", "tab_dashboard"), id="dashboard", visible=False,
                        elem_id="tab-dashboard") as tab_dash:
                dash = admin_tabs.build_dashboard(ctx, lang)

        def init(request: gr.Request) -> list[Any]:
            user = ctx.require(request)
            ws = ctx.pool.get()
            role = ctx.role(request) or ""
            boss = role in ("approver", "admin")
            books = [(t("vi", "all_books"), entry_tab.ALL_BOOKS)] + [
                (f"{b.register_type} {b.volume} · {b.commune}", b.id) for b in ws.books()]
            line = t("vi", "user_line", user=user, role=t("vi", f"role_{role}") if role else "?")
            return [line, gr.update(visible=boss), gr.update(visible=boss),
                    gr.update(choices=books), gr.update(choices=books[1:]),
                    gr.update(selected="approve") if boss else gr.update()]

        def first(sess: entry_tab.Session, book: Any, code: str,
                  request: gr.Request) -> list[Any]:
            user = ctx.require(request)
            if ctx.role(request) in logic.REVIEW_ROLES:
                # approvers and admins look at books; they take an entry only when they ask
                return entry_tab.render(ctx, user, None, sess, code,
                                        entry_tab.message("info", t(code, "boss_no_claim")))
            screen = logic.claim(ctx.pool.get(), user, int(book) if book else None,
                                 ctx.lease_s, low_conf=ctx.low_conf)
            msg = "" if screen else entry_tab.message("info", t(code, "queue_empty"))
            return entry_tab.render(ctx, user, screen, sess, code, msg)

        def approver_books(request: gr.Request) -> Any:
            if ctx.role(request) not in logic.REVIEW_ROLES:
                return gr.update(choices=[])
            return gr.update(choices=[(f"{b.register_type} {b.volume} · {b.commune}", b.id)
                                      for b in ctx.pool.get().books()])

        tab_approve.select(approver_books, None, approve.book, api_visibility="private")
        tab_dash.select(dash.show, dash.inputs, dash.outputs, api_visibility="private")
        show_inputs, show_js = entry.show()
        # tabs are containers: their loading status would make Gradio's page walk (and
        # snapshot) every component of the app on each status update of every later event
        demo.load(init, None, [userline, tab_approve, tab_dash, entry.book, sweep.book, tabs],
                  api_visibility="private", show_progress="hidden",
                  show_progress_on=[userline]).then(
            first, [entry.state, entry.book, lang], entry.outputs(), api_visibility="private",
            show_progress="hidden", show_progress_on=[entry.msg]
        ).then(None, show_inputs, js=show_js)

        labelled: list[tuple[Any, str, str]] = [
            (tab_entry, "tab_entry", "label"), (tab_sweep, "tab_sweep", "label"),
            (tab_approve, "tab_approve", "label"), (tab_dash, "tab_dashboard", "label"),
            (entry.confirm, "confirm", "value"), (entry.skip, "skip", "value"),
            (entry.start, "reload", "value"), (entry.book, "book", "label"),
            (entry.back, "back", "value"),
            (keys, "keys_help", "value"), (logout, "logout", "value"),
            *sweep.labelled, *approve.labelled, *dash.labelled,
        ]

        def relabel(code: str) -> list[Any]:
            out: list[Any] = [code, f"### {t(code, 'app_title')}"]
            for _, key, attr in labelled:
                out.append(gr.update(**{attr: t(code, key)}))  # type: ignore[arg-type]
            out += [gr.update(label=t(code, "illegible_short")) for _ in entry.ills]
            return out

        def user_line(code: str, request: gr.Request) -> str:
            role = ctx.role(request) or ""
            return t(code, "user_line", user=ctx.require(request),
                     role=t(code, f"role_{role}") if role else "?")

        again, again_inputs, collect = entry.redisplay
        lang_pick.change(relabel, lang_pick, [lang, title, *(c for c, _, _ in labelled),
                                              *entry.ills], api_visibility="private",
                         show_progress="hidden", show_progress_on=[title],
                         js="(c) => { if (window.sohoaSetLang) window.sohoaSetLang(c); return c; }"
                         ).then(user_line, lang, userline, api_visibility="private").then(
            again, again_inputs, entry.outputs(), js=collect, api_visibility="private",
            show_progress="hidden", show_progress_on=[entry.msg]).then(
            None, show_inputs, js=show_js)
    return demo


def authenticator(ctx: AppContext) -> Any:
    """Gradio ``auth=`` callable: the store checks the password (argon2, and it slows repeated
    failures). Async, and the check runs in a worker thread: Gradio calls ``auth`` inside its
    event loop, so a slow hash or a failure delay would otherwise freeze every clerk's screen."""
    import anyio

    def check(name: str, password: str) -> bool:
        try:
            return ctx.pool.get().authenticate(name, password) is not None
        except Exception:  # a broken store must refuse, never let in
            log.exception("authentication failed for %s", name)
            return False

    async def check_async(name: str, password: str) -> bool:
        return await anyio.to_thread.run_sync(check, name, password)

    return check_async


def launch_kwargs(ctx: AppContext, host: str = "127.0.0.1", port: int = 7860) -> dict[str, Any]:
    """Everything ``Blocks.launch`` needs for a local, private, offline server."""
    from starlette.middleware import Middleware

    from review_ui.routes import ReviewRoutes

    theme = gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=FONTS,
                              font_mono=MONO)
    return {
        # the client address reaches the login slowing (sohoa/store/throttle.py); our own
        # routes serve the Vietnamese login page and the typing search (review_ui/routes.py)
        "app_kwargs": {"middleware": [_client_middleware(), Middleware(ReviewRoutes)]},
        "server_name": host,
        "server_port": port,
        "share": False,
        "ssr_mode": False,
        "auth": authenticator(ctx),
        "auth_message": AUTH_MESSAGE,
        "allowed_paths": [str(Path(ctx.root) / "crops")],
        "theme": theme,
        "css": _static("review.css"),
        # the keys and image pane, then the entry's display (and the next entry shown ahead)
        "js": f"() => {{ ({_static('review.js')})(); ({_static('show.js')})(); }}",
        "footer_links": [],
        "enable_monitoring": False,
        "mcp_server": False,
        "pwa": False,
    }


def _client_middleware() -> Any:
    from starlette.middleware import Middleware

    from sohoa.store.throttle import ClientAddressMiddleware

    return Middleware(ClientAddressMiddleware)


def warm_up() -> None:
    """Load the lexicons, choice lists and validation tables now, not on the first clerk's
    Ctrl+Enter."""
    from review_ui.fieldhelp import CLOSED_KINDS, closed_choices, normalise, suggest
    from sohoa.records import FieldKind

    for kind in CLOSED_KINDS:
        closed_choices(kind)
    suggest(FieldKind.NAME, "Nguyễn Văn")
    suggest(FieldKind.PLACE, "Xã")
    normalise(FieldKind.DATE, "1/1/2000")
    normalise(FieldKind.PLACE, "xã Chiềng Cơi")
    from sohoa.fields.typing_search import search

    search("place", "chieng coi")
    search("name", "nguyen van")
    import sohoa.validate  # noqa: F401


def serve(root: str | Path, host: str = "127.0.0.1", port: int = 7860, lease_s: int = 600,
          block: bool = True) -> Any:
    """Build and launch the app for workspace ``root``; returns the Blocks (running)."""
    _offline_env()
    ctx = AppContext.open(root, lease_s=lease_s)
    warm_up()
    try:  # the first waiting pages' rows, cut in the background before clerks log in
        from review_ui.prefetch import warm_queue

        warm_queue(ctx.pool.get())
    except Exception:  # only speed is lost
        log.exception("cutting the first pages ahead failed")
    demo = build_app(ctx)
    demo.queue(default_concurrency_limit=None, max_size=None)
    demo.launch(prevent_thread_lock=not block, quiet=not block,
                **launch_kwargs(ctx, host, port))
    return demo
