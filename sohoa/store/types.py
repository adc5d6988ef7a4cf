"""Records and errors of the workspace store (re-exported by :mod:`sohoa.store`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sohoa.errors import ExitCode, NotFoundError, SohoaError
from sohoa.records import BBox, Book, Entry, Page, Reading


class WorkspaceError(SohoaError, RuntimeError):
    """A workspace operation cannot be done: missing workspace, book, page or entry, bad state."""


class WorkspaceNotFound(NotFoundError, WorkspaceError):
    """The workspace, or a book, page, entry or user named in it, does not exist."""


class StaleVersion(WorkspaceError):
    """The entry changed since the caller read it (optimistic version check failed)."""

    exit_code = ExitCode.CONFLICT

    def __init__(self, entry_id: int, expected: int, current: int) -> None:
        super().__init__(
            f"entry {entry_id} was changed by someone else (you had version {expected}, "
            f"it is now {current}); reload it"
        )
        self.entry_id = entry_id
        self.expected = expected
        self.current = current


class EntryLocked(WorkspaceError):
    """The entry is approved or exported; send it back before changing it."""

    exit_code = ExitCode.CONFLICT


@dataclass(frozen=True)
class EntryResult:
    """What processing found for one entry (row) of a page, handed to ``save_page_result``."""

    index: int
    bbox: BBox
    quad: tuple[tuple[int, int], ...] | None = None
    entry_crop: Any = None  # np.ndarray, grey or RGB uint8
    field_crops: dict[str, Any] = field(default_factory=dict)  # field -> np.ndarray
    field_boxes: dict[str, BBox] = field(default_factory=dict)
    readings: list[Reading] = field(default_factory=list)
    # field -> (quad of the cell on the page, margin): where ``crop_image`` cuts it again
    field_quads: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceivedFile:
    """An input file as ingest received it: its name, the sha256 of its bytes, its size."""

    path: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class EntryView:
    """Everything the review screen shows for one entry."""

    entry: Entry
    book: Book
    page: Page
    readings: dict[str, Reading]
    values: dict[str, str]  # confirmed/corrected value if any, else the reading's value
    illegible: frozenset[str]
    version: int
    entry_crop: Path | None
    field_crops: dict[str, Path]
    note: str
    confirmed_by: str | None
    confirmed_at: str | None
    field_boxes: dict[str, BBox] = field(default_factory=dict)
    claimed_by: str | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: str  # ISO 8601 UTC
    user: str
    action: str  # confirm, correct, illegible, send_back, approve, status, ...
    entry_id: int | None
    field: str | None
    old: str | None
    new: str | None
    original: str | None  # the engine's reading, for corrections
    book_id: int | None = None


@dataclass(frozen=True)
class User:
    name: str
    role: str  # clerk | approver | admin
    failed_logins: int = 0
    created_at: str = ""


def utc_now() -> str:
    """Current time as ISO 8601 UTC with milliseconds (sortable as text)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")
