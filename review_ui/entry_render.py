"""What the entry screen shows, as plain values (no Gradio components here): the message, the
header, the image pane and each row's label and hints, as the one JSON string the page lays
out (``sohoaShow`` in ``static/review.js``), and the dropdowns' values.
"""

from __future__ import annotations

import html
import itertools
import json
from dataclasses import dataclass, replace
from typing import Any

from review_ui import logic
from review_ui.i18n import t
from sohoa.records import FieldKind

MAX_FIELDS = 16


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
    shown: tuple[tuple[str, str], ...] = ()  # the values the screen showed, per field
    last: int | None = None  # the entry this tab confirmed last (Alt+B goes back to it)
    ahead: int | None = None  # the entry claimed ahead, shown at once on Ctrl+Enter


def file_url(path: str | None, version: int = 0) -> str:
    return f"/gradio_api/file={html.escape(path)}?v={version}" if path else ""


def message(kind: str, text: str) -> str:
    return f'<div class="{kind}">{html.escape(text)}</div>' if text else ""


def _pick(n: int, value: str, text: str = "") -> str:
    return (f'<button class="pick" tabindex="-1" title="Alt+{n}" data-value="{html.escape(value)}">'
            f'{n}. {html.escape(text or value)}</button>')


def _hint(row: logic.FieldRow, lang: str) -> str:
    """Under the field: its problems, the normalised spelling and the suggestions (pick with
    Alt+1..4; the live search while typing replaces them)."""
    parts = []
    for i in row.issues:
        cls = "warn" if i.severity == "warning" else "issue"
        parts.append(f'<span class="{cls}">{html.escape(i.message)}</span>')
    picks = []
    if row.normalised and row.kind == FieldKind.PLACE:
        picks.append(row.normalised)
    picks += [s for s in row.suggestions if s not in picks]
    buttons = " ".join(_pick(n, v) for n, v in enumerate(picks[:4], 1))
    if row.normalised and row.kind != FieldKind.PLACE:
        norm = html.escape(t(lang, "normalised", value=row.normalised))
        parts.append(f'<span class="norm">{norm}</span>')
    parts.append(f'<span class="sugg">{buttons}</span>')
    return f'<div class="hint">{"".join(parts)}</div>'


def field_label(row: logic.FieldRow, lang: str) -> str:
    """The register's label, or its English name in English mode when there is one."""
    if lang == "en":
        en = t("en", f"field_{row.name}")
        if en != f"field_{row.name}":
            return en
    return row.label


def _crop_html(row: logic.FieldRow, version: int, lang: str) -> str:
    """Label and hints of one field; its classes flag the row (CSS ``:has``) and its data
    carry what the page needs: the field, its kind (live search) and its crop (image pane)."""
    bad = any(x.severity == "error" for x in row.issues)
    flags = " ".join(["crop"] + (["low"] if row.low else []) + (["bad"] if bad else []))
    conf = (f' <span class="conf" title="{html.escape(t(lang, "low_conf", conf=row.confidence))}">'
            f'{row.confidence:.0%}</span>' if row.low and row.confidence is not None else "")
    choices = (f' data-choices="{html.escape("|".join(label for label, _ in row.choices))}"'
               if row.choices else "")
    return (f'<div class="{flags}" data-field="{html.escape(row.name)}" '
            f'data-kind="{html.escape(str(row.kind))}" '
            f'data-crop="{html.escape(file_url(row.crop, version))}"'
            f'{choices}>'
            f'<span class="flab">{html.escape(field_label(row, lang))}{conf}</span>'
            f'{_hint(row, lang)}</div>')


def pane_html(screen: logic.EntryScreen, lang: str) -> str:
    """The image pane: the entry's row (zoom, pan, contrast; the focused field outlined) and
    the focused field's own crop at its natural size (filled in by the page)."""
    boxes = "".join(
        f'<div class="fbox" data-field="{html.escape(r.name)}" style="left:{100 * r.box[0]:.2f}%;'
        f'top:{100 * r.box[1]:.2f}%;width:{100 * (r.box[2] - r.box[0]):.2f}%;'
        f'height:{100 * (r.box[3] - r.box[1]):.2f}%"></div>'
        for r in screen.rows if r.box)
    src = file_url(screen.entry_crop, screen.version)
    img = f'<img src="{src}" alt="" draggable="false">' if screen.entry_crop else ""
    return (f'<div class="pane"><div class="viewer" id="view-entry"><div class="stage">{img}{boxes}'
            '</div></div><div class="viewer" id="view-field"><div class="stage">'
            '<img alt="" draggable="false"></div></div>'
            f'<div class="vhelp">{html.escape(t(lang, "pane_help"))}</div></div>')


def layout_key(screen: logic.EntryScreen | None) -> str:
    """Which input each row shows (``nksGioiTinh:sex`` ...): the layout event runs only when
    this changes, i.e. when the next entry comes from a book with another template."""
    return "" if screen is None else ",".join(f"{r.name}:{r.kind}" for r in screen.rows)


_seq = itertools.count(1)


def _data(msg: str, head: str = "", pane: str = "", rows: list[list[str]] | None = None,
          layout: str = "", entry: int | None = None, version: int = 0,
          ahead: dict[str, Any] | None = None, notes: dict[str, str] | None = None) -> str:
    """The JSON the page lays out. ``n`` is new on every answer (the page tells a failed event,
    whose data did not change, from a new answer); ``next`` is the entry claimed ahead for
    this clerk, which the page shows at once on Ctrl+Enter while the confirmation is saved
    (``notes``: the messages it shows meanwhile and if the save gets no answer)."""
    return json.dumps({"msg": msg, "head": head, "pane": pane, "rows": rows or [],
                       "layout": layout, "entry": entry, "version": version, "n": next(_seq),
                       "next": ahead, "notes": notes or {}}, ensure_ascii=False)


def _closed_label(row: logic.FieldRow) -> str:
    for label, value in row.choices:
        if value == row.value:
            return label
    return row.value


def screen_parts(screen: logic.EntryScreen, lang: str) -> dict[str, Any]:
    """Header, image pane and rows of one entry (each row: its label and hints, the text box
    value, the dropdown's label), plus the images the page may load ahead."""
    head = html.escape(t(lang, "entry_header", book=screen.book, page=screen.page_no,
                         row=screen.row, version=screen.version))
    head += f' · <span class="left">{html.escape(t(lang, "remaining", n=screen.remaining))}</span>'
    if screen.status != "prefilled":
        head += f' · <span class="again">{html.escape(t(lang, "editing_confirmed"))}</span>'
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
    head = f'<span class="head">{head}</span>'
    rows = [[_crop_html(r, screen.version, lang), "" if r.closed else r.value,
             _closed_label(r) if r.closed else ""]
            for r in screen.rows[:MAX_FIELDS]]
    imgs = [file_url(screen.entry_crop, screen.version)] if screen.entry_crop else []
    imgs += [file_url(r.crop, screen.version) for r in screen.rows if r.crop]
    return {"head": head, "pane": pane_html(screen, lang), "rows": rows,
            "layout": layout_key(screen), "entry": screen.entry_id, "version": screen.version,
            "imgs": imgs}


def render(screen: logic.EntryScreen | None, sess: Session, lang: str, msg: str,
           ahead: logic.EntryScreen | None = None) -> list[Any]:
    """Plain values for :meth:`EntryUI.outputs` showing ``screen`` (or an empty queue), and
    ``ahead``, the entry this clerk gets next, for the page to show at once on Ctrl+Enter.
    What the screen showed (``sess.shown``) is kept when the same version is shown again (a
    refused confirmation, a language switch), so the clerk's changes stay theirs."""
    old = sess
    if screen is None:
        sess = replace(sess, entry_id=None, version=0, fields=(), closed=(), force=False,
                       ahead=None)
        return [sess, _data(msg), "", *([None] * MAX_FIELDS)]
    sess = replace(sess, entry_id=screen.entry_id, version=screen.version,
                   fields=tuple(r.name for r in screen.rows),
                   closed=tuple(r.closed for r in screen.rows),
                   kinds=tuple(str(r.kind) for r in screen.rows),
                   ahead=ahead.entry_id if ahead is not None else None)
    if (screen.entry_id, screen.version) != (old.entry_id, old.version) or not old.shown:
        sess = replace(sess, shown=tuple((r.name, r.value) for r in screen.rows))
    parts = screen_parts(screen, lang)
    nxt = None
    if ahead is not None and layout_key(ahead) == parts["layout"]:
        # (another template needs the layout event first: that entry comes the usual way)
        if screen.status == "prefilled" and ahead.book_id == screen.book_id:
            ahead = replace(ahead, remaining=max(0, screen.remaining - 1))  # once this is saved
        nxt = screen_parts(ahead, lang)
    notes = {"saving": message("info", t(lang, "saving", entry=screen.entry_id)),
             "failed": message("err", t(lang, "save_failed", entry=screen.entry_id))}
    drops = [(r.value or None) if r.closed else None for r in screen.rows[:MAX_FIELDS]]
    return [sess, _data(msg, parts["head"], parts["pane"], parts["rows"], parts["layout"],
                        screen.entry_id, screen.version, nxt, notes), parts["layout"],
            *drops, *([None] * (MAX_FIELDS - len(drops)))]
