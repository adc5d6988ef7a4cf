"""File names for exported entries and books: readable, safe on every file system, unique.

The default entry name is ``{so}_{year}_{name}_{sex}`` -> ``12_2008_NguyenThiHongNhung_Nu.pdf``:
the registration number, the book year, the person's name without diacritics (Đ -> D) in
CamelCase and the sex. Any pattern over the same placeholders may be configured. Whatever the
values hold (slashes, ``..``, control characters, reserved Windows names such as ``CON`` or
``NUL``, 500 characters), the result is a plain ASCII name of at most ``MAX_STEM`` characters,
and :class:`UniqueNamer` makes names unique within a book ignoring case (Windows, macOS).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from sohoa.errors import SohoaError
from sohoa.records import Book, RegisterType

DEFAULT_PATTERN = "{so}_{year}_{name}_{sex}"
PLACEHOLDERS = frozenset({"so", "year", "name", "sex", "entry_id", "volume", "type", "index"})
MAX_STEM = 120
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CLOCK$", "CONIN$", "CONOUT$",
             *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10)),
             *(f"COM{c}" for c in "¹²³"), *(f"LPT{c}" for c in "¹²³")}
_SEX = {"1": "Nam", "2": "Nu", "3": "KXD"}
SUBJECT_NAMES: dict[RegisterType, tuple[str, ...]] = {
    RegisterType.KS: ("nksHoTen",),
    RegisterType.KT: ("nktHoTen",),
    RegisterType.KH: ("chongHoTen", "voHoTen"),
    RegisterType.HN: ("nxnHoTen",),
    RegisterType.CMC: ("ncHoTen",),
}
SUBJECT_SEX = {RegisterType.KS: "nksGioiTinh", RegisterType.KT: "nktGioiTinh",
               RegisterType.HN: "nxnGioiTinh"}


class NamingError(SohoaError, ValueError):
    """A naming pattern uses an unknown placeholder or is malformed."""


def ascii_fold(text: str) -> str:
    """Vietnamese to plain ASCII letters: diacritics dropped, Đ/đ -> D/d."""
    text = unicodedata.normalize("NFC", text).replace("Đ", "D").replace("đ", "d")
    text = text.replace("\u00d0", "D").replace("\u00f0", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).encode(
        "ascii", "ignore").decode("ascii")


def camel_name(name: str) -> str:
    """``Nguyễn thị hồng nhung`` -> ``NguyenThiHongNhung``."""
    words = re.split(r"[^A-Za-z0-9]+", ascii_fold(name))
    return "".join(w[:1].upper() + w[1:].lower() for w in words if w)


def safe_component(text: str, max_len: int = MAX_STEM) -> str:
    """One path component from any text: ASCII ``[A-Za-z0-9_-]`` runs joined by ``_``, no
    leading/trailing dots or separators, not a reserved Windows device name, never empty."""
    folded = ascii_fold(text)
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", folded)
    cleaned = re.sub(r"_+", "_", cleaned).strip("_-")
    cleaned = cleaned[:max_len].rstrip("_-")
    if not cleaned:
        cleaned = "x"
    if cleaned.split("_")[0].upper() in _RESERVED or cleaned.upper() in _RESERVED:
        cleaned += "_"
    return cleaned


def check_pattern(pattern: str) -> str:
    """Reject patterns with unknown or positional placeholders, up front."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
    except ValueError as exc:
        raise NamingError(f"naming pattern {pattern!r}: {exc}") from exc
    unknown = [f for f in fields if f not in PLACEHOLDERS]
    if unknown or not fields:
        raise NamingError(f"naming pattern {pattern!r}: unknown placeholders {unknown}; "
                          f"use {', '.join(sorted(PLACEHOLDERS))}")
    return pattern


def entry_stem(values: Mapping[str, str], book: Book, entry_id: int | None, index: int,
               pattern: str = DEFAULT_PATTERN) -> str:
    """The file stem (no extension) of one entry's PDF, before uniqueness is enforced."""
    check_pattern(pattern)
    rt = book.register_type
    so = (values.get("so") or "").split("/")[0].strip()
    names = [camel_name(values.get(f, "") or "") for f in SUBJECT_NAMES.get(rt, ())]
    sex_field = SUBJECT_SEX.get(rt)
    parts = {
        "so": so, "year": str(book.year), "name": "_".join(n for n in names if n),
        "sex": _SEX.get((values.get(sex_field, "") or "").strip(), "") if sex_field else "",
        "entry_id": "" if entry_id is None else str(entry_id), "volume": book.volume,
        "type": rt.value, "index": str(index),
    }
    raw = pattern.format(**{k: ascii_fold(v) for k, v in parts.items()})
    stem = safe_component(raw)
    if stem == "x":
        stem = f"entry_{entry_id if entry_id is not None else index}"
    return stem


def book_stem(book: Book, draft: bool = False) -> str:
    """``KS_2008_ChiengBan_01-2008`` (``DRAFT_`` first for previews)."""
    volume = safe_component(book.volume.replace("/", "-"), 40)
    commune = safe_component(camel_name(book.commune) or book.commune, 60)
    stem = f"{book.register_type.value}_{book.year}_{commune}_{volume}"
    return ("DRAFT_" if draft else "") + stem


@dataclass
class UniqueNamer:
    """Hands out names unique within one book, comparing case-insensitively."""

    taken: set[str] = field(default_factory=set)

    def claim(self, stem: str, suffix: str) -> str:
        n, candidate = 1, stem
        while (candidate + suffix).lower() in self.taken:
            n += 1
            tail = f"_{n}"
            candidate = stem[: MAX_STEM - len(tail)] + tail
        self.taken.add((candidate + suffix).lower())
        return candidate + suffix
