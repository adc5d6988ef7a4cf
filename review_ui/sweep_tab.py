"""Field sweep tab (Gradio): a column of crops of one field with their values; Ctrl+Enter
saves the page of rows and shows the next. Logic in :mod:`review_ui.sweep`."""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from typing import Any

import gradio as gr

from review_ui import sweep
from review_ui.context import AppContext
from review_ui.entry_tab import file_url, message
from review_ui.i18n import t

SWEEP_ROWS = 20


@dataclass(frozen=True)
class SweepState:
    book_id: int | None = None
    field: str = ""
    only_low: bool = True
    offset: int = 0
    shown: tuple[sweep.SweepItem, ...] = ()


@dataclass
class SweepUI:
    book: Any
    labelled: list[tuple[Any, str, str]] = field(default_factory=list)


def _row_html(item: sweep.SweepItem, lang: str = "vi") -> str:
    """One line of the sweep: entry and page/row (confidence), status, the field's crop
    (natural size while its row has the focus)."""
    conf = f" · {item.confidence:.0%}" if item.confidence is not None else ""
    img = f'<img src="{file_url(item.crop, item.version)}" alt="">' if item.crop else ""
    state = item.state
    return (f'<div class="scell" data-entry="{item.entry_id}" data-state="{state}">'
            f'<span class="sid">#{item.entry_id} · {item.page_no}/{item.row}{conf}</span>'
            f'<span class="sstat st-{state}">{html.escape(t(lang, "st_" + state))}</span>'
            f'<span class="simg">{img}</span></div>')


def build(ctx: AppContext, lang: Any) -> SweepUI:
    state = gr.State(SweepState())
    with gr.Row(elem_id="sweep-bar", equal_height=True):
        book = gr.Dropdown(choices=[], label=t("vi", "book"), scale=3, elem_id="sweep-book")
        fld = gr.Dropdown(choices=[], label=t("vi", "sweep_field"), scale=3,
                          elem_id="sweep-field")
        only_low = gr.Checkbox(value=True, label=t("vi", "sweep_only_low"), scale=1,
                               container=False)
        load = gr.Button(t("vi", "sweep_load"), scale=1, elem_id="sweep-load", size="sm")
    msg = gr.HTML(elem_id="sweep-msg")
    rows, crops, texts = [], [], []
    with gr.Column(elem_id="sweep-rows"):
        for i in range(SWEEP_ROWS):
            with gr.Row(visible=False, elem_classes=["srow"]) as row:
                crops.append(gr.HTML(elem_classes=["cropcell"]))
                texts.append(gr.Textbox(show_label=False, container=False, lines=1, max_lines=1,
                                        elem_id=f"s{i}-text", elem_classes=["fin", "ftext"]))
            rows.append(row)
    save = gr.Button(t("vi", "sweep_save") + " (Ctrl+Enter)", variant="primary",
                     elem_id="sweep-save", size="sm")

    def fields_of(book_id: Any, request: gr.Request) -> Any:
        ctx.require(request)
        if not book_id:
            return gr.update(choices=[], value=None)
        return gr.update(choices=sweep.sweep_fields(ctx.pool.get(), int(book_id)), value=None)

    def show(st: SweepState, code: str, note: str = "") -> list[Any]:
        ws = ctx.pool.get()
        items = (sweep.sweep_items(ws, st.book_id, st.field, st.only_low, ctx.low_conf)
                 if st.book_id and st.field else [])
        page = sweep.with_crops(ws, tuple(items[st.offset:st.offset + SWEEP_ROWS]), st.field)
        st = replace(st, shown=page)
        if not page:
            done = "sweep_done" if st.offset and items else "sweep_empty"
            text = (note + " " if note else "") + t(code, done)
        else:
            text = (note + " " if note else "") + t(
                code, "sweep_more", shown=f"{st.offset + 1}-{st.offset + len(page)}",
                total=len(items))
        out: list[Any] = [st, message("info", text)]
        for i in range(SWEEP_ROWS):
            if i < len(page):
                out += [gr.update(visible=True), _row_html(page[i], code), page[i].value]
            else:
                out += [gr.update(visible=False), "", ""]
        return out

    def do_load(book_id: Any, field_name: Any, low: bool, code: str,
                request: gr.Request) -> list[Any]:
        ctx.require(request)
        st = SweepState(int(book_id) if book_id else None, str(field_name or ""), bool(low))
        return show(st, code)

    def do_save(request: gr.Request, st: SweepState, code: str, *typed: str) -> list[Any]:
        user = ctx.require(request)
        if not st.shown or st.book_id is None:
            return show(st, code)
        out = sweep.save_sweep(ctx.pool.get(), user, st.book_id, st.field, list(st.shown),
                               list(typed[:len(st.shown)]))
        note = t(code, "sweep_saved", n=out.saved, stale=out.stale)
        if out.errors:
            note += " " + "; ".join(out.errors)
            return show(st, code, note)  # same page again, with the refused rows
        return show(replace(st, offset=st.offset + len(st.shown)), code, note)

    outs = [state, msg, *(c for i in range(SWEEP_ROWS) for c in (rows[i], crops[i], texts[i]))]
    book.change(fields_of, book, fld, api_visibility="private")
    # the loading status on the message only: rows are containers, which Gradio's page walks
    # (every component inside) on each status update of every later event
    quiet = {"show_progress": "hidden", "show_progress_on": [msg]}
    load.click(do_load, [book, fld, only_low, lang], outs, api_name="sweep_load", **quiet).then(
        None, js="() => { const i = document.querySelector('#s0-text input');"
                 " if (i) { i.focus(); i.select(); } }")
    save.click(do_save, [state, lang, *texts], outs, api_name="sweep_save", **quiet).then(
        None, js="() => { const i = document.querySelector('#s0-text input');"
                 " if (i) { i.focus(); i.select(); } }")
    labelled = [(book, "book", "label"), (fld, "sweep_field", "label"),
                (only_low, "sweep_only_low", "label"), (load, "sweep_load", "value"),
                (save, "sweep_save_keys", "value")]
    return SweepUI(book, labelled)
