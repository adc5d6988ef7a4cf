"""The entry screen (Gradio): one row per template field, crop beside the value; the handlers
are thin and call :mod:`review_ui.logic`.

Gradio needs a fixed set of components, so ``MAX_FIELDS`` rows are built once and the rows a
template does not use are hidden. Each row has a text box and a filterable dropdown; the one
that fits the field kind is shown.
"""

from __future__ import annotations

import html
import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import gradio as gr

from review_ui import logic
from review_ui.context import AppContext
from review_ui.i18n import t

log = logging.getLogger(__name__)

MAX_FIELDS = 16
ALL_BOOKS = 0


@dataclass(frozen=True)
class Session:
    """Per browser tab: the entry on screen, its version and the fields in row order."""

    entry_id: int | None = None
    version: int = 0
    fields: tuple[str, ...] = ()
    closed: tuple[bool, ...] = ()
    kinds: tuple[str, ...] = ()
    book_id: int | None = None
    skipped: frozenset[int] = frozenset()
    force: bool = False


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
    rows: list[Any]
    crops: list[Any]
    texts: list[Any]
    drops: list[Any]
    ills: list[Any]
    confirm: Any
    skip: Any

    def outputs(self) -> list[Any]:
        """What every entry event returns: plain values only (no ``gr.update``: Gradio spends
        milliseconds per update dict, and these are the events a clerk waits for)."""
        per_row = [c for i in range(MAX_FIELDS) for c in (
            self.crops[i], self.texts[i], self.drops[i])]
        return [self.state, self.msg, self.head, self.crop, self.layout, *per_row]

    def layout_outputs(self) -> list[Any]:
        return [c for i in range(MAX_FIELDS) for c in (self.rows[i], self.texts[i],
                                                        self.drops[i])]


def file_url(path: str | None, version: int = 0) -> str:
    return f"/gradio_api/file={html.escape(path)}?v={version}" if path else ""


def message(kind: str, text: str) -> str:
    return f'<div class="{kind}">{html.escape(text)}</div>' if text else ""


def _hint(row: logic.FieldRow, lang: str) -> str:
    parts = []
    if row.low and row.confidence is not None:
        conf = html.escape(t(lang, "low_conf", conf=row.confidence))
        parts.append(f'<span class="conf">⚠ {conf}</span> ')
    if row.normalised:
        norm = html.escape(t(lang, "normalised", value=row.normalised))
        parts.append(f'<span class="norm">{norm}</span> ')
    if row.suggestions:
        sugg = " ".join(f'<button class="pick" tabindex="-1" title="Alt+{n}" '
                        f'data-value="{html.escape(s)}">{n}. {html.escape(s)}</button>'
                        for n, s in enumerate(row.suggestions, 1))
        parts.append(f'<span class="sugg">{html.escape(t(lang, "suggest"))} {sugg}</span>')
    for i in row.issues:
        cls = "warn" if i.severity == "warning" else "issue"
        parts.append(f'<span class="{cls}">{html.escape(i.message)}</span>')
    return f'<div class="hint">{"".join(parts)}</div>' if parts else ""


def _crop_html(row: logic.FieldRow, version: int, lang: str) -> str:
    """Label, crop and hints of one field; its classes flag the row (CSS ``:has``)."""
    flags = " ".join(["crop"] + (["low"] if row.low else []) + (
        ["bad"] if any(x.severity == "error" for x in row.issues) else []))
    img = f'<img src="{file_url(row.crop, version)}" alt="">' if row.crop else ""
    return (f'<div class="{flags}" data-field="{html.escape(row.name)}">'
            f'<span class="flab">{html.escape(row.label)}</span>{img}{_hint(row, lang)}</div>')


def layout_key(screen: logic.EntryScreen | None) -> str:
    """Which input each row shows (``nksGioiTinh:sex`` ...): the layout event runs only when
    this changes, i.e. when the next entry comes from a book with another template."""
    return "" if screen is None else ",".join(f"{r.name}:{r.kind}" for r in screen.rows)


def render(screen: logic.EntryScreen | None, sess: Session, lang: str, msg: str) -> list[Any]:
    """Plain values for :meth:`EntryUI.outputs` showing ``screen`` (or an empty queue)."""
    if screen is None:
        sess = replace(sess, entry_id=None, version=0, fields=(), closed=(), force=False)
        return [sess, msg, "", "", "", *(["", "", None] * MAX_FIELDS)]
    sess = replace(sess, entry_id=screen.entry_id, version=screen.version,
                   fields=tuple(r.name for r in screen.rows),
                   closed=tuple(r.closed for r in screen.rows),
                   kinds=tuple(str(r.kind) for r in screen.rows))
    head = html.escape(t(lang, "entry_header", book=screen.book, page=screen.page_no,
                         row=screen.row, version=screen.version))
    head += f' · <span class="left">{html.escape(t(lang, "remaining", n=screen.remaining))}</span>'
    # the page sets the "illegible" boxes from data-illegible (fewer outputs: faster events)
    ill = ",".join(r.name for r in screen.rows if r.illegible)
    head = (f'<span id="entry-meta" data-focus="{html.escape(screen.focus)}" '
            f'data-illegible="{html.escape(ill)}" '
            f'data-entry="{screen.entry_id}">#{screen.entry_id} · {head}</span>')
    if screen.note:
        head += f'<span class="note">{html.escape(t(lang, "note_from_approver", note=screen.note))}'
        head += "</span>"
    for issue in screen.issues:
        head += f'<span class="note">{html.escape(issue.message)}</span>'
    src = file_url(screen.entry_crop, screen.version)
    crop = (f'<div class="zoomable" data-zoom="1"><img src="{src}" alt=""></div>'
            if screen.entry_crop else "")
    out: list[Any] = [sess, msg, head, crop, layout_key(screen)]
    for i in range(MAX_FIELDS):
        if i >= len(screen.rows):
            out += ["", "", None]
            continue
        r = screen.rows[i]
        out += [_crop_html(r, screen.version, lang), "" if r.closed else r.value,
                (r.value or None) if r.closed else None]
    return out


def relayout(key: str) -> list[Any]:
    """Row visibility, and text box or dropdown (with its choices) per row, for a layout key."""
    from review_ui.fieldhelp import closed_choices
    from sohoa.records import FieldKind

    specs = [part.split(":", 1) for part in key.split(",")] if key else []
    out: list[Any] = []
    for i in range(MAX_FIELDS):
        if i >= len(specs):
            out += [gr.update(visible=False), gr.update(), gr.update()]
            continue
        choices = closed_choices(FieldKind(specs[i][1]))
        out += [gr.update(visible=True), gr.update(visible=not choices),
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
    from sohoa.records import FieldKind

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
    """Lay out the entry tab and wire its events."""
    with gr.Row(elem_id="entry-bar", equal_height=True):
        head = gr.HTML(elem_id="entry-head", scale=6)
        book = gr.Dropdown(choices=[(t("vi", "all_books"), ALL_BOOKS)], value=ALL_BOOKS,
                           label=t("vi", "book"), show_label=False, container=False, scale=2,
                           min_width=220, filterable=True, elem_id="book-pick")
        start = gr.Button(t("vi", "reload"), scale=0, min_width=110, size="sm",
                          elem_id="btn-start")
    msg = gr.HTML(elem_id="msg")
    crop = gr.HTML(elem_id="entry-crop")
    layout = gr.Textbox(visible="hidden", elem_id="layout-key")
    payload = gr.Textbox(visible="hidden", elem_id="payload")
    rows, crops, texts, drops, ills = [], [], [], [], []
    with gr.Column(elem_id="entry-fields"):
        for i in range(MAX_FIELDS):
            with gr.Row(visible=False, elem_classes=["frow"], equal_height=False) as row:
                crops.append(gr.HTML(elem_classes=["cropcell"], min_width=200, scale=6))
                with gr.Column(scale=5, min_width=220, elem_classes=["fcol"]):
                    # interactive=True: they are no event's input (the page collects them)
                    texts.append(gr.Textbox(show_label=False, lines=1, max_lines=1,
                                            interactive=True, elem_id=f"f{i}-text",
                                            container=False,
                                            elem_classes=["fin", "ftext"], autoscroll=False))
                    drops.append(gr.Dropdown(choices=[], show_label=False, interactive=True,
                                             allow_custom_value=True, filterable=True,
                                             visible=False, container=False,
                                             elem_id=f"f{i}-drop", elem_classes=["fin", "fdrop"]))
                    ills.append(gr.Checkbox(label=t("vi", "illegible"), elem_classes=["ill"],
                                            interactive=True,
                                            container=False, elem_id=f"f{i}-ill"))
            rows.append(row)
    with gr.Row(elem_id="actions"):
        confirm = gr.Button(t("vi", "confirm"), variant="primary", scale=3, elem_id="btn-confirm")
        skip = gr.Button(t("vi", "skip"), scale=1, elem_id="btn-skip")
    ui = EntryUI(gr.State(Session()), book, start, msg, head, crop, layout, payload, rows, crops,
                 texts, drops, ills, confirm, skip)
    _wire(ctx, ui, lang_state)
    return ui


def _wire(ctx: AppContext, ui: EntryUI, lang_state: Any) -> None:
    focus = "() => { if (window.sohoaFocus) window.sohoaFocus(); }"

    def load(sess: Session, book_id: Any, lang: str, request: gr.Request) -> list[Any]:
        user = ctx.require(request)
        ws = ctx.pool.get()
        bid = int(book_id) if book_id else None
        if sess.entry_id is not None and bid != sess.book_id:
            logic.skip(ws, user, sess.entry_id)
        sess = replace(sess, book_id=bid, skipped=frozenset(), force=False)
        t0 = time.perf_counter()
        screen = logic.claim(ws, user, bid, ctx.lease_s, low_conf=ctx.low_conf)
        log.debug("claim for %s took %.0f ms", user, 1000 * (time.perf_counter() - t0))
        return render(screen, sess, lang, "" if screen else message("info", t(lang, "queue_empty")))

    def confirm(payload: str, sess: Session, lang: str, request: gr.Request) -> list[Any]:
        user = ctx.require(request)
        ws = ctx.pool.get()
        if sess.entry_id is None:
            return load(sess, sess.book_id or ALL_BOOKS, lang, request)
        typed, illegible = parse_payload(sess, payload)
        out = logic.confirm(ws, user, sess.entry_id, sess.version, typed, illegible, sess.force)
        if out.status == "invalid":
            screen = logic.describe(ws, sess.entry_id, ctx.low_conf, values=typed,
                                    issues=list(out.issues))
            return render(screen, replace(sess, force=True), lang,
                          message("err", t(lang, "errors_block")))
        if out.status == "stale":
            screen = logic.describe(ws, sess.entry_id, ctx.low_conf)
            if ws.entry_view(sess.entry_id).entry.status == "prefilled":
                return render(screen, replace(sess, force=False), lang,
                              message("err", t(lang, "stale", entry=sess.entry_id)))
        sess = replace(sess, force=False)
        text = (t(lang, "confirmed_ok", entry=out.entry_id) if out.status == "ok"
                else t(lang, "not_claimed"))
        claimed = logic.claim(ws, user, sess.book_id, ctx.lease_s, sess.skipped, ctx.low_conf)
        if claimed is None:
            text += " " + t(lang, "queue_empty")
        return render(claimed, sess, lang, message("ok" if out.status == "ok" else "err", text))

    def skip(sess: Session, lang: str, request: gr.Request) -> list[Any]:
        user = ctx.require(request)
        ws = ctx.pool.get()
        if sess.entry_id is None:
            return load(sess, sess.book_id or ALL_BOOKS, lang, request)
        gone = sess.entry_id
        skipped = sess.skipped | {gone}
        logic.skip(ws, user, gone)
        sess = replace(sess, skipped=skipped, force=False)
        screen = logic.claim(ws, user, sess.book_id, ctx.lease_s, skipped, ctx.low_conf)
        return render(screen, sess, lang, message("info", t(lang, "skipped", entry=gone)))

    common = {"outputs": ui.outputs(), "concurrency_limit": None}
    ui.layout.change(relayout, ui.layout, ui.layout_outputs(), api_visibility="private",
                     concurrency_limit=None).then(None, js=focus)
    ui.start.click(load, [ui.state, ui.book, lang_state], api_name="next", **common).then(
        None, js=focus)
    ui.book.input(load, [ui.state, ui.book, lang_state], api_visibility="private", **common).then(
        None, js=focus)
    ui.confirm.click(confirm, [ui.payload, ui.state, lang_state], api_name="confirm",
                     js="(p, s, l) => [window.sohoaCollect ? window.sohoaCollect() : p, s, l]",
                     **common).then(None, js=focus)
    ui.skip.click(skip, [ui.state, lang_state], api_name="skip", **common).then(None, js=focus)
