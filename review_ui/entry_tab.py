"""The entry screen (Gradio): one row per template field, crop beside the value; the handlers
are thin and call :mod:`review_ui.logic`.

Gradio needs a fixed set of components, so ``MAX_FIELDS`` rows are built once and the rows a
template does not use are hidden. Each row has a text box and a filterable dropdown; the one
that fits the field kind is shown.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import gradio as gr

from review_ui import logic
from review_ui.context import AppContext
from review_ui.entry_render import MAX_FIELDS, Session, layout_key, message  # noqa: F401
from review_ui.entry_render import render as render_screen
from review_ui.i18n import t
from review_ui.prefetch import warm_ahead
from sohoa.records import FieldKind

log = logging.getLogger(__name__)

ALL_BOOKS = 0


@dataclass
class EntryUI:
    """The components of the entry tab, in the order the handlers return them."""

    state: Any
    book: Any
    start: Any
    msg: Any
    head: Any
    crop: Any
    layout: Any
    payload: Any
    data: Any
    rows: list[Any]
    crops: list[Any]
    texts: list[Any]
    drops: list[Any]
    ills: list[Any]
    confirm: Any
    skip: Any
    back: Any = None
    redisplay: Any = None  # (handler, inputs, js) that shows the entry again (language switch)

    def outputs(self) -> list[Any]:
        """What every entry event returns: plain values only, and few of them. The message,
        header, image pane, each row's label and hints and each text box's value travel as
        one JSON string (``data``) that the page lays out itself (``sohoaShow`` in
        review.js); only the dropdowns stay Gradio outputs (their state lives in Gradio). Every
        output costs the page a loading status, a snapshot of its properties and an update
        per event: 53 outputs made the page, not the server, most of a clerk's wait."""
        return [self.state, self.data, self.layout, *self.drops]

    def show(self) -> tuple[list[Any], str]:
        """(inputs, js) of the step after an entry event: lay out ``data`` and focus."""
        return [self.data], SHOW

    def layout_outputs(self) -> list[Any]:
        return [c for i in range(MAX_FIELDS) for c in (self.texts[i], self.drops[i])]


def relayout(key: str) -> list[Any]:
    """Text box or dropdown (with its choices) per row, for a layout key. (A row without a
    field is hidden by the page's style: its label slot is empty. Rows are containers, and
    Gradio's page walks every component inside an output container on every event.)"""
    from review_ui.fieldhelp import closed_choices

    specs = [part.split(":", 1) for part in key.split(",")] if key else []
    out: list[Any] = []
    for i in range(MAX_FIELDS):
        if i >= len(specs):
            out += [gr.update(), gr.update()]
            continue
        choices = closed_choices(FieldKind(specs[i][1]))
        out += [gr.update(visible=not choices),
                gr.update(visible=bool(choices), choices=list(choices))]
    return out


def parse_payload(sess: Session, payload: str) -> tuple[dict[str, str], frozenset[str]]:
    """What the clerk sees in the inputs, collected by the page (``sohoaCollect`` in
    review.js) as one JSON string: ``{"values": {field: text}, "illegible": [field]}``.

    One input instead of 48 components: Gradio pre-processes every input component in a worker
    thread, which was most of the server time of a confirmation. A closed-set field arrives as
    the label shown (``Nữ``) and is mapped back to its value (``2``); a field missing from the
    payload is left out, which keeps its stored value.
    """
    from review_ui.fieldhelp import closed_choices

    try:
        data = json.loads(payload or "{}")
    except json.JSONDecodeError:
        data = {}
    raw = data.get("values") if isinstance(data, dict) else None
    raw = raw if isinstance(raw, dict) else {}
    kinds = dict(zip(sess.fields, sess.kinds, strict=False))
    typed = {}
    for name in sess.fields:
        if name not in raw or raw[name] is None:
            continue
        text = str(raw[name])
        for label, value in closed_choices(FieldKind(kinds[name])) if kinds.get(name) else ():
            if text == label:
                text = value
                break
        typed[name] = text
    ill = data.get("illegible", []) if isinstance(data, dict) else []
    return typed, frozenset(str(f) for f in ill if f in sess.fields)


def build(ctx: AppContext, lang_state: Any) -> EntryUI:
    """Lay out the entry tab and wire its events: a bar (entry, book, reload), the image pane
    and, beside it on wide screens or under it on narrow ones, the compact grid of fields and
    the actions."""
    with gr.Row(elem_id="entry-bar", equal_height=True):
        head = gr.HTML(SLOT, elem_id="entry-head", scale=6)
        book = gr.Dropdown(choices=[(t("vi", "all_books"), ALL_BOOKS)], value=ALL_BOOKS,
                           label=t("vi", "book"), show_label=False, container=False, scale=2,
                           min_width=220, filterable=True, elem_id="book-pick")
        start = gr.Button(t("vi", "reload"), scale=0, min_width=110, size="sm",
                          elem_id="btn-start")
    msg = gr.HTML(SLOT, elem_id="msg")
    layout = gr.Textbox(visible="hidden", elem_id="layout-key")
    payload = gr.Textbox(visible="hidden", elem_id="payload")
    data = gr.Textbox(visible="hidden", elem_id="entry-data")
    rows, crops, texts, drops, ills = [], [], [], [], []
    with gr.Row(elem_id="entry-main", equal_height=False):
        crop = gr.HTML(SLOT, elem_id="entry-crop")
        with gr.Column(elem_id="entry-form"):
            with gr.Column(elem_id="entry-fields"):
                for i in range(MAX_FIELDS):
                    with gr.Row(elem_classes=["frow"], equal_height=False) as row:
                        crops.append(gr.HTML(SLOT, elem_classes=["cropcell"], elem_id=f"c{i}"))
                        with gr.Row(elem_classes=["fcol"], equal_height=False):
                            # interactive=True: they are no event's input (the page collects)
                            texts.append(gr.Textbox(show_label=False, lines=1, max_lines=1,
                                                    interactive=True, elem_id=f"f{i}-text",
                                                    container=False, autoscroll=False,
                                                    elem_classes=["fin", "ftext"]))
                            drops.append(gr.Dropdown(choices=[], show_label=False,
                                                     interactive=True, allow_custom_value=True,
                                                     filterable=True, visible=False,
                                                     container=False, elem_id=f"f{i}-drop",
                                                     elem_classes=["fin", "fdrop"]))
                            ills.append(gr.Checkbox(label=t("vi", "illegible_short"),
                                                    elem_classes=["ill"], interactive=True,
                                                    container=False, elem_id=f"f{i}-ill"))
                    rows.append(row)
            with gr.Row(elem_id="actions"):
                confirm = gr.Button(t("vi", "confirm"), variant="primary", scale=3,
                                    elem_id="btn-confirm")
                skip = gr.Button(t("vi", "skip"), scale=1, elem_id="btn-skip")
                back = gr.Button(t("vi", "back"), scale=1, elem_id="btn-back")
    ui = EntryUI(gr.State(Session()), book, start, msg, head, crop, layout, payload, data, rows,
                 crops, texts, drops, ills, confirm, skip, back)
    _wire(ctx, ui, lang_state)
    return ui


COLLECT = "(p, s, l) => [window.sohoaCollect ? window.sohoaCollect() : p, s, l]"
# Confirm: what the clerk's entry showed, collected when the entry claimed ahead was shown in
# its place (static/show.js: on Ctrl+Enter before this event starts; on a click, now)
CONFIRM = "(p, s, l) => [window.sohoaPayload ? window.sohoaPayload() : p, s, l]"
FAILED = "() => { if (window.sohoaFailed) window.sohoaFailed(); }"
SHOW = "(d) => { if (window.sohoaShow) window.sohoaShow(d); return []; }"
# what the page fills in itself (sohoaShow): the message, header, pane and each row's label
SLOT = '<div class="slot"></div>'


def changed_values(sess: Session, typed: dict[str, str]) -> dict[str, str]:
    """The fields whose typed value differs from what the screen showed."""
    shown = dict(sess.shown)
    return {f: v for f, v in typed.items() if v.strip() != (shown.get(f) or "").strip()}


def render(ctx: AppContext, user: str, screen: logic.EntryScreen | None, sess: Session,
           lang: str, msg: str) -> list[Any]:
    """``screen`` for ``user``, with the entry they get after it claimed ahead (the page shows
    it at once on Ctrl+Enter while the confirmation is saved; it comes back to ``screen``,
    with every change, if the confirmation is refused)."""
    ahead = None
    if screen is not None:
        ws = ctx.pool.get()
        eid = ws.claim_next(user, sess.book_id, ctx.lease_s,
                            exclude=sess.skipped | {screen.entry_id})
        ahead = logic.describe(ws, eid, ctx.low_conf) if eid is not None else None
        if ahead is not None:  # the pages after the one ahead: cut before anyone asks
            warm_ahead(ws, ahead.book_id, ahead.page_id)
    return render_screen(screen, sess, lang, msg, ahead)


def unsaved(lang: str, entry: int, why: str) -> str:
    """A refused confirmation: the entry was not saved (the page had already shown the next
    one), why, and that every change is back on screen."""
    return message("err", f"{t(lang, 'not_saved', entry=entry)} {t(lang, why, entry=entry)}")


def _wire(ctx: AppContext, ui: EntryUI, lang_state: Any) -> None:
    # after the layout event: fill the inputs it brought into being, then focus
    refill = "(k) => { if (window.sohoaShow) window.sohoaShow(null, k); }"
    show = {"fn": None, "inputs": [ui.data], "js": SHOW}

    def load(sess: Session, book_id: Any, lang: str, request: gr.Request) -> list[Any]:
        user = ctx.require(request)
        ws = ctx.pool.get()
        bid = int(book_id) if book_id else None
        if bid != sess.book_id:  # another book: the entries held in this one go back
            for held in (sess.entry_id, sess.ahead):
                if held is not None:
                    logic.skip(ws, user, held)
        sess = replace(sess, book_id=bid, skipped=frozenset(), force=False)
        t0 = time.perf_counter()
        screen = logic.claim(ws, user, bid, ctx.lease_s, low_conf=ctx.low_conf)
        log.debug("claim for %s took %.0f ms", user, 1000 * (time.perf_counter() - t0))
        empty = "" if screen else message("info", t(lang, "queue_empty"))
        return render(ctx, user, screen, sess, lang, empty)

    def confirm(payload: str, sess: Session, lang: str, request: gr.Request) -> list[Any]:
        user = ctx.require(request)
        ws = ctx.pool.get()
        if sess.entry_id is None:
            return load(sess, sess.book_id or ALL_BOOKS, lang, request)
        typed, illegible = parse_payload(sess, payload)
        out = logic.confirm(ws, user, sess.entry_id, sess.version, typed, illegible, sess.force)
        if out.status == "invalid":
            # everything the clerk typed and marked stays on screen, with the problems
            screen = logic.describe(ws, sess.entry_id, ctx.low_conf, values=typed,
                                    issues=list(out.issues), illegible=illegible)
            return render(ctx, user, screen, replace(sess, force=True), lang,
                          unsaved(lang, sess.entry_id, "errors_block"))
        if out.status in ("stale", "gone"):
            ev = ws.entry_view(sess.entry_id)
            if str(ev.entry.status) not in ("approved", "exported"):
                # someone changed it meanwhile: their version, with this clerk's own changes
                # and marks laid over it, to check and confirm again
                mine = changed_values(sess, typed)
                screen = logic.describe(ws, sess.entry_id, ctx.low_conf, values=mine,
                                        illegible=illegible)
                return render(ctx, user, screen, replace(sess, force=False), lang,
                              unsaved(lang, sess.entry_id, "stale"))
        sess = replace(sess, force=False,
                       last=out.entry_id if out.status == "ok" else sess.last)
        text = (t(lang, "confirmed_ok", entry=out.entry_id) if out.status == "ok"
                else t(lang, "not_claimed"))
        claimed = logic.claim(ws, user, sess.book_id, ctx.lease_s, sess.skipped, ctx.low_conf)
        if claimed is None:
            text += " " + t(lang, "queue_empty")
        return render(ctx, user, claimed, sess, lang,
                      message("ok" if out.status == "ok" else "err", text))

    def skip(sess: Session, lang: str, request: gr.Request) -> list[Any]:
        user = ctx.require(request)
        ws = ctx.pool.get()
        if sess.entry_id is None:
            return load(sess, sess.book_id or ALL_BOOKS, lang, request)
        gone = sess.entry_id
        skipped = sess.skipped | {gone}
        ev = ws.entry_view(gone)
        if str(ev.entry.status) == "prefilled":
            logic.skip(ws, user, gone)
        sess = replace(sess, skipped=skipped, force=False)
        screen = logic.claim(ws, user, sess.book_id, ctx.lease_s, skipped, ctx.low_conf)
        return render(ctx, user, screen, sess, lang,
                      message("info", t(lang, "skipped", entry=gone)))

    def back(payload: str, sess: Session, lang: str, request: gr.Request) -> list[Any]:
        """Reopen the entry this tab confirmed last, to change it (while not approved); the
        entry on screen stays held and comes back after it."""
        user = ctx.require(request)
        ws = ctx.pool.get()
        typed = parse_payload(sess, payload)[0] if sess.entry_id else {}
        closed = {f for f, c in zip(sess.fields, sess.closed, strict=False) if c}
        keep = changed_values(sess, {f: v for f, v in typed.items() if f not in closed})
        if sess.last is None or keep:
            note = "back_none" if sess.last is None else "back_unsaved"
            screen = (logic.describe(ws, sess.entry_id, ctx.low_conf, values=keep or None)
                      if sess.entry_id else None)
            return render(ctx, user, screen, sess, lang, message("info", t(lang, note)))
        ev = ws.entry_view(sess.last)
        if str(ev.entry.status) in ("approved", "exported"):
            screen = logic.describe(ws, sess.entry_id, ctx.low_conf) if sess.entry_id else None
            return render(ctx, user, screen, sess, lang,
                          message("err", t(lang, "back_locked", entry=sess.last)))
        screen = logic.describe(ws, sess.last, ctx.low_conf)
        return render(ctx, user, screen, replace(sess, force=False), lang,
                      message("info", t(lang, "back_open", entry=sess.last)))

    def again(payload: str, sess: Session, lang: str, request: gr.Request) -> list[Any]:
        """The same entry in the other language, with what the clerk typed and marked."""
        user = ctx.require(request)
        if sess.entry_id is None:
            return render(ctx, user, None, sess, lang, "")
        typed, illegible = parse_payload(sess, payload)
        screen = logic.describe(ctx.pool.get(), sess.entry_id, ctx.low_conf,
                                values=changed_values(sess, typed) or None, illegible=illegible)
        return render(ctx, user, screen, sess, lang, "")

    # the loading status goes to one component, not to every output: Gradio's page updates
    # (and snapshots) each progress target several times per event
    # Gradio's page updates the loading status of each progress target (by default every
    # output) several times per event, on every event: one small target each
    common = {"outputs": ui.outputs(), "concurrency_limit": None, "show_progress": "hidden",
              "show_progress_on": [ui.msg]}
    ui.layout.change(relayout, ui.layout, ui.layout_outputs(), api_visibility="private",
                     concurrency_limit=None, show_progress="hidden",
                     show_progress_on=[ui.layout]).then(None, [ui.layout], js=refill)
    ui.start.click(load, [ui.state, ui.book, lang_state], api_name="next", **common).then(**show)
    ui.book.input(load, [ui.state, ui.book, lang_state], api_visibility="private",
                  **common).then(**show)
    saved = ui.confirm.click(confirm, [ui.payload, ui.state, lang_state], api_name="confirm",
                             js=CONFIRM, **common)
    saved.then(**show)
    saved.failure(None, None, None, js=FAILED)  # the entry shown ahead goes; the clerk's returns
    ui.skip.click(skip, [ui.state, lang_state], api_name="skip", **common).then(**show)
    ui.back.click(back, [ui.payload, ui.state, lang_state], api_name="back", js=COLLECT,
                  **common).then(**show)
    ui.redisplay = (again, [ui.payload, ui.state, lang_state], COLLECT)
