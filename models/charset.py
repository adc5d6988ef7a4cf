"""The character set of the handwriting model: every NFC Vietnamese letter, digits and the
punctuation used in registers. It is saved next to the weights so a model always decodes with
the alphabet it was trained on.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sohoa.errors import SohoaError
from sohoa.records import nfc

_BASE_VOWELS = "aăâeêioôơuưy"
# combining marks for the five tones: grave, acute, hook above, tilde, dot below
_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
PUNCTUATION = " .,/-():'\""
DIGITS = "0123456789"


def vietnamese_letters() -> str:
    """The 134 accented Vietnamese letters (upper and lower case, đ/Đ included)."""
    out: list[str] = []
    for v in _BASE_VOWELS:
        if v not in "aeiouy":
            out.append(v)
        for tone in _TONES:
            out.append(unicodedata.normalize("NFC", v + tone))
    out.append("đ")
    lower = "".join(out)
    return lower + lower.upper()


def default_alphabet() -> str:
    """Punctuation, digits, ASCII letters and every accented Vietnamese letter, in that order."""
    ascii_letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return PUNCTUATION + DIGITS + ascii_letters + vietnamese_letters()


class CharsetError(SohoaError, ValueError):
    """A charset file is malformed or a text holds characters the model cannot write."""


@dataclass(frozen=True)
class Charset:
    """Index 0 is the CTC blank; characters are 1..n."""

    chars: str

    def __post_init__(self) -> None:
        if len(set(self.chars)) != len(self.chars):
            raise CharsetError("charset has duplicate characters")

    @classmethod
    def default(cls) -> Charset:
        return cls(default_alphabet())

    @property
    def num_classes(self) -> int:
        return len(self.chars) + 1

    def _index(self) -> dict[str, int]:
        idx = self.__dict__.get("_idx")
        if idx is None:
            idx = {c: i + 1 for i, c in enumerate(self.chars)}
            object.__setattr__(self, "_idx", idx)
        return idx

    def normalize(self, text: str) -> str:
        """NFC, Đ for the eth look-alike, collapsed spaces; characters outside the set dropped."""
        text = " ".join(nfc(text).split())
        idx = self._index()
        return "".join(c for c in text if c in idx)

    def encode(self, text: str) -> list[int]:
        idx = self._index()
        missing = sorted({c for c in text if c not in idx})
        if missing:
            raise CharsetError(f"characters not in charset: {''.join(missing)!r}")
        return [idx[c] for c in text]

    def decode(self, labels: list[int]) -> str:
        return "".join(self.chars[i - 1] for i in labels if 0 < i <= len(self.chars))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"chars": self.chars}, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Charset:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(data["chars"]))
        except (OSError, ValueError, KeyError) as exc:
            raise CharsetError(f"{path}: not a charset file ({exc})") from exc
