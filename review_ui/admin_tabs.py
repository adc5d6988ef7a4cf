"""Approver and dashboard tabs (Gradio). Visible to approvers and admins only, and every handler
checks the role again on the server: hiding a tab is not a permission."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
import pandas as pd

from review_ui import progress
from review_ui.context import AppContext, Forbidden
from review_ui.i18n import t
from sohoa.records import nfc

log = logging.getLogger(__name__)


@dataclass
class TabUI:
    book: Any = None
    refresh: Any = None
    labelled: list[tuple[Any, str, str]] = field(default_factory=list)
    show: Any = None  # handler that fills the tab, for the tab's select event
    inputs: list[Any] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)


def _msg(kind: str, text: str) -> str:
    return f'<div class="{kind}">{html.escape(text)}</div>'


def _progress_frame(rows: list[progress.Progress], lang: str, first: str) -> pd.DataFrame:
    return pd.DataFrame(
        [[p.key, p.total, p.open, p.confirmed, p.approved, round(p.pct_done, 1)] for p in rows],
        columns=[t(lang, first), t(lang, "col_total"), t(lang, "col_open"),
                 t(lang, "col_done"), t(lang, "col_approved"), t(lang, "col_pct")])


def _report_frame(issues: list[Any], lang: str, labels: dict[str, str]) -> pd.DataFrame:
    """The validation report as a table: field labels (not 158 codes), severities and the
    fixed messages in the interface language, text in NFC."""
    return pd.DataFrame(
        [["" if i.entry_id is None else f"#{i.entry_id}", nfc(labels.get(i.field, i.field)),
          t(lang, f"sev_{i.severity}"), nfc(_message(i.message, lang))] for i in issues],
        columns=[t(lang, "col_entry"), t(lang, "col_field"), t(lang, "col_severity"),
                 t(lang, "col_message")])


def _message(text: str, lang: str) -> str:
    if text == progress.ILLEGIBLE:
        return t(lang, "illegible")
    if text.startswith(progress.SENT_BACK + ":"):
        return t(lang, "sent_back_note", note=text.split(":", 1)[1].strip())
    return text


def blockers_html(issues: tuple[Any, ...], labels: dict[str, str], lang: str,
                  shown: int = 12) -> str:
    """The errors that stopped an approval, as a short list under the question."""
    items = "".join(
        f"<li>{'' if i.entry_id is None else f'#{i.entry_id} · '}"
        f"{html.escape(labels.get(i.field, i.field))}: {html.escape(i.message)}</li>"
        for i in issues[:shown])
    more = (f"<li>{html.escape(t(lang, 'more_errors', n=len(issues) - shown))}</li>"
            if len(issues) > shown else "")
    return (f'<div class="err">{html.escape(t(lang, "approve_has_errors", n=len(issues)))}'
            f"<ul>{items}{more}</ul></div>")


def build_approver(ctx: AppContext, lang: Any) -> TabUI:
    """Per book: progress, validation report, approve, send entries back with a note."""
    with gr.Row():
        # custom values pass to the handlers, which check the role themselves (defence in depth)
        book = gr.Dropdown(choices=[], label=t("vi", "book"), scale=4, elem_id="approve-book",
                           allow_custom_value=True)
        refresh = gr.Button(t("vi", "refresh"), scale=1, elem_id="approve-refresh")
    summary = gr.HTML(elem_id="approve-summary")
    report = gr.Dataframe(label=t("vi", "validation_report"), interactive=False, wrap=True,
                          max_height=360, elem_id="approve-report")
    with gr.Row():
        approve = gr.Button(t("vi", "approve_book"), variant="primary", elem_id="btn-approve")
        force = gr.Button(t("vi", "approve_force"), variant="stop", visible=False,
                          elem_id="btn-approve-force")
    with gr.Row():
        ids = gr.Textbox(label=t("vi", "send_back_ids"), scale=2, elem_id="sendback-ids")
        note = gr.Textbox(label=t("vi", "send_back_note"), scale=3, elem_id="sendback-note")
        send = gr.Button(t("vi", "send_back"), scale=1, elem_id="btn-sendback")
    msg = gr.HTML(elem_id="approve-msg")

    def show(book_id: Any, code: str, request: gr.Request) -> tuple[Any, Any]:
        try:
            ctx.require_approver(request)
        except Forbidden:
            return _msg("err", t(code, "forbidden")), None
        if not str(book_id or "").isdigit():
            return "", None
        ws = ctx.pool.get()
        p = next((b for b in progress.book_progress(ws) if b.book_id == int(book_id)), None)
        issues = progress.book_report(ws, int(book_id))
        labels = progress.field_labels(ws, int(book_id))
        head = "" if p is None else (
            f"<b>{html.escape(p.key)}</b> — {t(code, 'col_total')}: {p.total} · "
            f"{t(code, 'col_open')}: {p.open} · {t(code, 'col_done')}: {p.confirmed} · "
            f"{t(code, 'col_approved')}: {p.approved} · "
            f"{t(code, 'problems')}: {len({i.entry_id for i in issues})}")
        return head, _report_frame(issues, code, labels)

    def do_approve(book_id: Any, code: str, request: gr.Request,
                   forced: bool = False) -> tuple[str, Any]:
        """Approve; errors in confirmed entries block: they are listed and the approver is
        asked (the "approve anyway" button appears)."""
        try:
            user = ctx.require_approver(request)
        except Forbidden:
            return _msg("err", t(code, "forbidden")), gr.update(visible=False)
        if not str(book_id or "").isdigit():
            return "", gr.update(visible=False)
        ws = ctx.pool.get()
        out = progress.approve(ws, user, int(book_id), force=forced)
        if out.blocking:
            labels = progress.field_labels(ws, int(book_id))
            return blockers_html(out.blocking, labels, code), gr.update(visible=True)
        text = t(code, "approved_n", n=out.approved, book=book_id)
        if out.still_open:
            text += " " + t(code, "approve_blocked", n=out.still_open)
        return _msg("ok" if not out.still_open else "info", text), gr.update(visible=False)

    def do_force(book_id: Any, code: str, request: gr.Request) -> tuple[str, Any]:
        return do_approve(book_id, code, request, forced=True)

    def do_send(ids_text: str, note_text: str, code: str, request: gr.Request) -> str:
        try:
            user = ctx.require_approver(request)
        except Forbidden:
            return _msg("err", t(code, "forbidden"))
        wanted = progress.parse_ids(ids_text)
        if not wanted or not note_text.strip():
            return _msg("err", t(code, "send_back_none"))
        n = progress.send_back(ctx.pool.get(), user, wanted, note_text)
        return _msg("ok", t(code, "sent_back_n", n=n))

    outs = [summary, report]
    for trigger in (book.change, refresh.click):
        trigger(show, [book, lang], outs, api_visibility="private")
    approve.click(do_approve, [book, lang], [msg, force], api_name="approve").then(
        show, [book, lang], outs, api_visibility="private")
    force.click(do_force, [book, lang], [msg, force], api_name="approve_anyway").then(
        show, [book, lang], outs, api_visibility="private")
    send.click(do_send, [ids, note, lang], msg, api_name="send_back").then(
        show, [book, lang], outs, api_visibility="private")
    labelled = [(book, "book", "label"), (refresh, "refresh", "value"),
                (report, "validation_report", "label"), (approve, "approve_book", "value"),
                (force, "approve_force", "value"),
                (ids, "send_back_ids", "label"), (note, "send_back_note", "label"),
                (send, "send_back", "value")]
    return TabUI(book, refresh, labelled, show, [book, lang], outs)


def build_dashboard(ctx: AppContext, lang: Any) -> TabUI:
    """Progress per book, commune and clerk, and confirmations per hour, with charts."""
    refresh = gr.Button(t("vi", "refresh"), elem_id="dash-refresh")
    with gr.Row():
        clerks_plot = gr.BarPlot(x="user", y="confirmed", label=t("vi", "per_clerk"),
                                 x_title=t("vi", "col_clerk"), y_title=t("vi", "col_confirmed"),
                                 y_lim=[0, None], height=260, elem_id="dash-clerks-plot")
        hours_plot = gr.BarPlot(x="hour", y="confirmed", color="user", y_aggregate="sum",
                                x_title=t("vi", "col_hour") + " (UTC)",
                                y_title=t("vi", "col_confirmed"), color_title=t("vi", "col_clerk"),
                                y_lim=[0, None], label=t("vi", "per_hour"), height=260,
                                elem_id="dash-hours-plot")
    books = gr.Dataframe(label=t("vi", "per_book"), interactive=False, elem_id="dash-books")
    with gr.Row():
        communes = gr.Dataframe(label=t("vi", "per_commune"), interactive=False)
        clerks = gr.Dataframe(label=t("vi", "per_clerk"), interactive=False, elem_id="dash-clerks")

    def show(code: str, request: gr.Request) -> list[Any]:
        try:
            ctx.require_approver(request)
        except Forbidden:
            return [None, None, None, None, None]
        ws = ctx.pool.get()
        per_book = progress.book_progress(ws)
        counts = progress.clerk_counts(ws)
        hours = progress.per_hour(ws)
        clerk_df = pd.DataFrame(
            [[c.user, c.confirmed, c.corrected_fields, c.first_at[:16], c.last_at[:16]]
             for c in counts],
            columns=[t(code, "col_clerk"), t(code, "col_confirmed"), t(code, "col_corrected"),
                     t(code, "col_first"), t(code, "col_last")])
        return [
            pd.DataFrame({"user": [c.user for c in counts],
                          "confirmed": [c.confirmed for c in counts]}),
            pd.DataFrame({"hour": [h.hour[5:] for h in hours], "user": [h.user for h in hours],
                          "confirmed": [h.confirmed for h in hours]}),
            _progress_frame(per_book, code, "col_book"),
            _progress_frame(progress.commune_progress(per_book), code, "col_commune"),
            clerk_df,
        ]

    outs = [clerks_plot, hours_plot, books, communes, clerks]
    refresh.click(show, [lang], outs, api_name="dashboard")
    labelled = [(refresh, "refresh", "value"), (books, "per_book", "label"),
                (communes, "per_commune", "label"), (clerks, "per_clerk", "label")]
    return TabUI(None, refresh, labelled, show, [lang], outs)
