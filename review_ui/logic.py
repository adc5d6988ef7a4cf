"""What the entry screen does, as plain functions over the workspace store (no Gradio here):
claim the next entry, describe it for the screen, normalise and validate what the clerk typed,
confirm it in one transaction, skip it. Tested without a browser.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from review_ui.fieldhelp import Issue, closed_choices, normalise, suggest, to_store, validate
from review_ui.prefetch import entry_crop, warm_ahead
from sohoa.records import FieldKind
from sohoa.template import Template

log = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.9
ROLES = ("clerk", "approver", "admin")
REVIEW_ROLES = frozenset({"approver", "admin"})


class WorkspacePool:
    """The app's one open :class:`sohoa.store.Workspace` (it keeps one SQLite connection per
    server thread itself), opened on first use."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._ws: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._ws is None:
                from sohoa.store import Workspace

                self._ws = Workspace.open(self.root)
            return self._ws

    def close(self) -> None:
        with self._lock:
            if self._ws is not None:
                self._ws.close()
                self._ws = None


def low_confidence_threshold(root: str | Path) -> float:
    """The workspace's ``low_confidence`` setting (default 0.9)."""
    from sohoa.settings import load_settings

    return float(load_settings(Path(root)).low_confidence)


def user_role(ws: Any, name: str | None) -> str | None:
    """The role of user ``name`` (``clerk``/``approver``/``admin``) or None if unknown."""
    if not name:
        return None
    for u in ws.users():
        if u.name == name:
            return str(u.role)
    return None


def book_label(book: Any) -> str:
    return f"{book.register_type} {book.volume} · {book.commune} ({book.year})"


@dataclass(frozen=True)
class FieldRow:
    """One field as the screen shows it: crop beside the current value, flags and hints."""

    name: str
    kind: FieldKind
    label: str
    value: str
    confidence: float | None
    low: bool
    crop: str | None
    illegible: bool
    choices: tuple[tuple[str, str], ...] = ()
    suggestions: tuple[str, ...] = ()
    normalised: str = ""
    issues: tuple[Issue, ...] = ()
    box: tuple[float, float, float, float] | None = None  # on the entry crop, as fractions

    @property
    def closed(self) -> bool:
        return bool(self.choices)


@dataclass(frozen=True)
class EntryScreen:
    entry_id: int
    version: int
    book_id: int
    book: str
    page_no: int
    row: int
    entry_crop: str | None
    rows: tuple[FieldRow, ...]
    note: str = ""
    issues: tuple[Issue, ...] = ()
    remaining: int = 0  # entries of the book still waiting for review (this one included)
    status: str = "prefilled"
    page_id: int = 0

    @property
    def focus(self) -> str:
        """The field the cursor should land on: first one flagged, else the first one."""
        for r in self.rows:
            if r.low or r.issues:
                return r.name
        return self.rows[0].name if self.rows else ""


def _path(p: Any) -> str | None:
    return str(p) if p and Path(p).exists() else None


def inked_blanks(ev: Any, values: dict[str, str]) -> frozenset[str]:
    """Fields left empty whose cell crop holds handwriting (silent blanks)."""
    from review_ui.ink import has_ink

    return frozenset(f for f, p in ev.field_crops.items()
                     if not (values.get(f) or "").strip() and has_ink(p))


def describe(ws: Any, entry_id: int, low_conf: float = LOW_CONFIDENCE,
             values: dict[str, str] | None = None,
             issues: list[Issue] | None = None,
             illegible: frozenset[str] | None = None) -> EntryScreen:
    """The entry screen of ``entry_id``; ``values``/``issues``/``illegible`` override what is
    stored (a refused confirmation shows what the clerk typed and marked, with its problems)."""
    ev = ws.entry_view(entry_id)
    # the page's rows and cells are cut on its first view, once whoever asks first
    row_file = entry_crop(ws, entry_id, int(ev.page.id))
    if set(ev.field_boxes) - set(ev.field_crops):  # cells cut just now: see their files
        ev = ws.entry_view(entry_id)
    tpl = Template.for_book(ev.book)
    quad = ws.entry_quad(entry_id)  # the row's frame on the page: where the fields lie on it
    current = dict(ev.values)
    if values is not None:
        current.update(values)
    marks = ev.illegible if illegible is None else frozenset(illegible)
    if issues is None:
        issues = validate(current, tpl, ev.book, entry_id, inked_blanks(ev, current), marks)
    by_field: dict[str, list[Issue]] = {}
    for i in issues:
        by_field.setdefault(i.field, []).append(i)
    confirmed = ev.confirmed_by is not None
    rows = []
    for spec in tpl.fields:
        reading = ev.readings.get(spec.name)
        value = current.get(spec.name, "")
        conf = reading.confidence if reading is not None else None
        norm = (normalise(spec.kind, value, ev.book.year)
                if spec.kind in (FieldKind.DATE, FieldKind.YEAR, FieldKind.PLACE) else None)
        alts = tuple(a.text for a in reading.alternatives) if reading is not None else ()
        rows.append(
            FieldRow(
                name=spec.name,
                kind=spec.kind,
                label=spec.label,
                value=value,
                confidence=conf,
                low=(not confirmed and conf is not None and conf < low_conf and bool(value)),
                crop=_path(ev.field_crops.get(spec.name)),
                illegible=spec.name in marks,
                choices=closed_choices(spec.kind),
                suggestions=suggest(spec.kind, value, alts)
                if conf is not None and conf < low_conf else (),
                normalised=norm.value if norm and norm.value and norm.value != value else "",
                issues=tuple(by_field.get(spec.name, ())),
                box=_box_in(ev, spec.name, quad),
            )
        )
    left = ws.count_by_status(int(ev.book.id)).get("prefilled", 0)
    return EntryScreen(
        entry_id=entry_id,
        version=int(ev.version),
        book_id=int(ev.book.id),
        book=book_label(ev.book),
        page_no=int(ev.page.page_no),
        row=int(ev.entry.index) + 1,
        entry_crop=row_file,
        rows=tuple(rows),
        note=ev.note or "",
        issues=tuple(i for i in issues if not i.field or i.field not in tpl_names(tpl)),
        remaining=int(left),
        status=str(ev.entry.status),
        page_id=int(ev.page.id),
    )


def _box_in(ev: Any, name: str, quad: Any) -> tuple[float, float, float, float] | None:
    """Where field ``name`` lies on the entry's row crop, as fractions (x0, y0, x1, y1) of the
    crop: the row is ``quad`` on the page deskewed with a margin of ``ROW_MARGIN`` of its
    height (``preprocessing.crops.entry_crop``, ``Workspace.crop_image``), so the field's box
    is carried through the same transform (a margin counted in the row's width put the
    outline a name's width to the right of the writing)."""
    from preprocessing.crops import ROW_MARGIN, box_quad, crop_points

    fb = ev.field_boxes.get(name)
    if fb is None or quad is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in fb)
    pts, (w, h) = crop_points(quad, ROW_MARGIN, np.array(box_quad((x0, y0, x1, y1))))
    fx = np.clip(pts[:, 0] / w, 0.0, 1.0)
    fy = np.clip(pts[:, 1] / h, 0.0, 1.0)
    return (float(fx.min()), float(fy.min()), float(fx.max()), float(fy.max()))


def tpl_names(tpl: Template) -> frozenset[str]:
    return frozenset(f.name for f in tpl.fields)


def claim(ws: Any, user: str, book_id: int | None, lease_s: int,
          skipped: frozenset[int] = frozenset(), low_conf: float = LOW_CONFIDENCE
          ) -> EntryScreen | None:
    """Claim the next entry for ``user`` (leased, so no two clerks get the same one) and
    describe it; entries this session skipped are passed over. None when the queue is empty."""
    entry_id = _claim_next(ws, user, book_id, lease_s, skipped)
    if entry_id is None:
        return None
    screen = describe(ws, entry_id, low_conf)
    warm_ahead(ws, screen.book_id, screen.page_id)  # the next pages' rows, cut meanwhile
    return screen


def _claim_next(ws: Any, user: str, book_id: int | None, lease_s: int,
                skipped: frozenset[int]) -> int | None:
    return ws.claim_next(user, book_id, lease_s, exclude=skipped)


@dataclass(frozen=True)
class ConfirmOutcome:
    """``status``: ok (saved), invalid (errors shown, nothing saved), stale (someone changed it:
    reloaded), gone (no longer reviewable)."""

    status: str
    entry_id: int
    version: int = 0
    values: dict[str, str] = field(default_factory=dict)
    issues: tuple[Issue, ...] = ()


def normalise_values(tpl: Template, typed: dict[str, str], shown: dict[str, str],
                     ref_year: int | None = None) -> tuple[dict[str, str], list[Issue]]:
    """158 values of what was typed, plus an issue per changed field that does not parse.

    Fields the clerk left as shown keep their stored value untouched (no spurious
    corrections in the audit log); changed ones are normalised (``5-1-2002`` -> ``05.01.2002``).
    """
    values, issues = {}, []
    for spec in tpl.fields:
        if spec.name not in typed:  # not on screen: keep what is stored
            if spec.name in shown:
                values[spec.name] = shown[spec.name]
            continue
        raw = (typed.get(spec.name) or "").strip()
        if raw == (shown.get(spec.name) or "").strip():
            if spec.name in shown:  # an empty cell nobody filled stays absent
                values[spec.name] = shown[spec.name]
            continue
        norm = to_store(spec.kind, raw, ref_year)
        values[spec.name] = norm.value
        if norm.error:
            issues.append(Issue(spec.name, "error", norm.error))
        elif norm.warning:
            issues.append(Issue(spec.name, "warning", norm.warning))
    return values, issues


def confirm(ws: Any, user: str, entry_id: int, version: int, typed: dict[str, str],
            illegible: frozenset[str] = frozenset(), force: bool = False) -> ConfirmOutcome:
    """Normalise, validate and confirm one entry in one store transaction (with audit rows).

    Errors stop the confirmation unless ``force`` (the register really says so); an illegible
    field is exempt from its own errors. A concurrent change gives ``stale``, never a silent
    overwrite."""
    from sohoa.store import StaleVersion, WorkspaceError

    ev = ws.entry_view(entry_id)
    tpl = Template.for_book(ev.book)
    values, issues = normalise_values(tpl, typed, ev.values, ev.book.year)
    issues += validate(values, tpl, ev.book, entry_id, inked_blanks(ev, values),
                       frozenset(illegible))
    issues = [i for i in issues if i.field not in illegible]
    errors = [i for i in issues if i.severity == "error"]
    if errors and not force:
        return ConfirmOutcome("invalid", entry_id, version, values, tuple(issues))
    try:
        new_version = ws.confirm(entry_id, user, values, version, illegible=frozenset(illegible))
    except StaleVersion:
        log.info("stale confirm of entry %s by %s (version %s)", entry_id, user, version)
        return ConfirmOutcome("stale", entry_id, version, values, tuple(issues))
    except WorkspaceError as exc:
        log.warning("confirm of entry %s by %s refused: %s", entry_id, user, exc)
        return ConfirmOutcome("gone", entry_id, version, values, tuple(issues))
    return ConfirmOutcome("ok", entry_id, int(new_version), values, tuple(issues))


def skip(ws: Any, user: str, entry_id: int) -> None:
    """Give the entry back to the queue (another clerk may read it better)."""
    ws.release(entry_id, user)
