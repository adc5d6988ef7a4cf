"""A book's own lexicon: the values clerks already confirmed in one register book.

One book is one commune's: its places (the commune's villages, its health station) and its
families' surnames repeat from entry to entry, and one clerk writes them the same way. The
values confirmed so far are a prior no national list gives: among a field's n-best readings,
a book value (or a reading one or two edits from one) is more likely than a reading no entry
of the book ever had.

``BookLexicon.apply`` works on the raw n-best of each cell (``sohoa.recognize.CellRead``),
before the choice (``Recognizer.choose``), so it sees a wrapped value whole (its lines
joined):
- whole values (places, notes, relations): a confirmed value of the same kind within
  ``max_edits`` of one of the top readings joins the candidates with that reading's
  probability times ``exp(-EDIT_COST x edits)``; a candidate that is a book value keeps its
  probability;
- places, part by part: in each top reading, a part between commas or dashes that the book
  never had is respelt to the nearest part it had (a village, the commune, the district),
  the same way, so a new combination of known parts is read too;
- every candidate that matches no book value is divided by ``NOVEL_FACTOR``, so the book
  value wins when the image supports it nearly as well; a value new to the book still wins
  when the image clearly says so.

Names are left to the decoder's name lexicon: whole names rarely repeat in a book, and
respelling a name (or its words) to the nearest one the book had made names worse on the
tuning writers (docs/htr.md).

The lexicon is saved in the book's model version (``book_lexicon.json``) and so versioned and
audited with it (``sohoa.adapt``). Measured in docs/htr.md ("Per-book writer adaptation").
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sohoa.records import Alternative, FieldKind

FILE = "book_lexicon.json"
WHOLE_KINDS = (FieldKind.PLACE, FieldKind.TEXT, FieldKind.RELATION)
PART_KINDS = (FieldKind.PLACE,)
EDIT_COST = 0.6  # nats per edit between a reading and the book value it is respelt to
NOVEL_FACTOR = 4.0  # how much less likely a reading is when no entry of the book had it
TOP = 3  # readings of a cell matched against the book


@dataclass(frozen=True)
class BookLexicon:
    """Confirmed values per field kind, with how often each was confirmed."""

    values: dict[str, dict[str, int]] = field(default_factory=dict)
    entries: int = 0  # confirmed entries it was built from
    edit_cost: float = EDIT_COST
    novel_factor: float = NOVEL_FACTOR
    _parts_of: dict[str, Counter[str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of_values(cls, pairs: Iterable[tuple[str, str]], entries: int = 0,
                  **kw: Any) -> BookLexicon:
        """From (kind, confirmed text) pairs; kinds without a book lexicon are left out."""
        kinds = {k.value for k in WHOLE_KINDS}
        counts: dict[str, Counter[str]] = {}
        for kind, text in pairs:
            text = " ".join(str(text).split())
            if str(kind) in kinds and text:
                counts.setdefault(str(kind), Counter())[text] += 1
        return cls({k: dict(sorted(c.items())) for k, c in sorted(counts.items())}, entries,
                   **kw)

    def __len__(self) -> int:
        return sum(len(v) for v in self.values.values())

    def save(self, folder: Path) -> Path:
        path = Path(folder) / FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"entries": self.entries, "edit_cost": self.edit_cost,
                                   "novel_factor": self.novel_factor, "values": self.values},
                                  ensure_ascii=False, indent=1), "utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, folder: Path | None) -> BookLexicon | None:
        """The lexicon saved in a model folder, or None (a workspace or shipped model)."""
        path = Path(folder) / FILE if folder is not None else None
        if path is None or not path.exists():
            return None
        data = json.loads(path.read_text("utf-8"))
        return cls({str(k): {str(t): int(n) for t, n in v.items()}
                    for k, v in data.get("values", {}).items()},
                   int(data.get("entries", 0)), float(data.get("edit_cost", EDIT_COST)),
                   float(data.get("novel_factor", NOVEL_FACTOR)))

    def _parts(self, kind: str) -> Counter[str]:
        if kind not in self._parts_of:
            out: Counter[str] = Counter()
            for text, n in self.values.get(kind, {}).items():
                for part in split_parts(text)[::2]:
                    out[part] += n
            self._parts_of[kind] = out
        return self._parts_of[kind]

    def candidates(self, kind: FieldKind | str, alts: Sequence[Alternative]
                   ) -> list[Alternative]:
        """``alts`` (one cell's n-best, best first) with the book's values added and the
        readings no entry of the book had made less likely; best first."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        kind = str(FieldKind(kind).value)
        book = self.values.get(kind)
        if not book or not alts:
            return list(alts)
        parts = self._parts(kind) if FieldKind(kind) in PART_KINDS else Counter()
        probs: dict[str, float] = {}
        known: set[str] = set()
        for a in alts:
            if a.text in book:
                known.add(a.text)
            probs[a.text] = max(probs.get(a.text, 0.0), float(a.confidence))
        for a in list(alts)[:TOP]:
            text = a.text.strip()
            if not text:
                continue
            limit = max_edits(text)
            for value, d, _ in process.extract(text, list(book), scorer=Levenshtein.distance,
                                               score_cutoff=limit, limit=3):
                p = float(a.confidence) * math.exp(-self.edit_cost * d)
                probs[value] = max(probs.get(value, 0.0), p)
                known.add(value)
            if parts:
                respelt, d = respell_parts(text, parts)
                if d and respelt not in probs:
                    probs[respelt] = float(a.confidence) * math.exp(-self.edit_cost * d)
                    known.add(respelt)
        out = [Alternative(t, min(1.0, p if t in known else p / self.novel_factor))
               for t, p in probs.items()]
        return sorted(out, key=lambda x: -x.confidence)

    def apply(self, cells: Sequence[Any]) -> list[Any]:
        """``sohoa.recognize.CellRead`` cells with their candidates re-weighed by the book."""
        return [replace(c, candidates=tuple(self.candidates(c.kind, c.candidates)))
                if not c.empty and c.candidates else c for c in cells]


EDITS_PER_CHAR = 0.4


def max_edits(text: str) -> int:
    """How far a reading may be from a book value to be respelt to it (a short value is
    respelt only when nearly right)."""
    return int(len(text) * EDITS_PER_CHAR)


_SEP = re.compile(r"(\s*[,;]\s*|\s+-\s+)")


def split_parts(text: str) -> list[str]:
    """A place cut at its separators: [part, separator, part, ...]."""
    return _SEP.split(text)


def respell_parts(text: str, parts: Counter[str]) -> tuple[str, int]:
    """``text`` with each part (between commas or dashes) the book never had replaced by the
    nearest book part within :func:`max_edits`; returns the text and the edits made."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    pieces, edits = split_parts(text), 0
    for i in range(0, len(pieces), 2):
        part = pieces[i]
        if not part or part in parts:
            continue
        got = process.extractOne(part, list(parts), scorer=Levenshtein.distance,
                                 score_cutoff=max_edits(part))
        if got is not None:
            pieces[i], edits = got[0], edits + int(got[1])
    return "".join(pieces), edits
