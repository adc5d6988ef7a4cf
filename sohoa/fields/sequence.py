"""Register numbers run on from one entry to the next: a page-level check of the ``so`` readings.

A clerk numbers the entries of a book 1, 2, 3 ... and a page holds consecutive numbers. One
misread digit (the handwriting model reads an isolated 2 as 7) breaks the run, and the two
neighbours say what the number must be. Per number field of a page, in entry order:

- a number that continues a neighbour (previous + 1, or next - 1) is kept as read; one that
  continues both (11, 12, 13) is confirmed by them and its confidence is raised to at least
  :data:`RUN_CONFIDENCE` (three readings agreeing by chance is rare; ``bench_read`` measures
  it);
- a number between two neighbours that are two apart (12, ?, 14), or between two trusted
  numbers (ones that continue a neighbour) whose distance
  matches the entries between them (12, 13, ?, ?, 16, 17) is set to the one the run calls
  for, as is the first or last one of a page next to a trusted number;
  the reading as read becomes the first alternative and the confidence is capped at
  :data:`SETTLED_CONFIDENCE`, so the clerk still looks at it;
- any other number that disagrees with a read neighbour gets its confidence capped at
  :data:`DOUBTFUL_CONFIDENCE`.

Entries without a number (blank or struck rows) break the run: nothing is guessed across them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from sohoa.records import Alternative, Reading

SETTLED_CONFIDENCE = 0.8
RUN_CONFIDENCE = 0.95
DOUBTFUL_CONFIDENCE = 0.5
_LEAD = re.compile(r"^\s*(\d{1,6})")


def number_of(reading: Reading | None) -> int | None:
    """The register number in a reading's parsed value (``12`` or ``12/2008``), if any."""
    if reading is None or not reading.value:
        return None
    m = _LEAD.match(reading.value)
    return int(m.group(1)) if m else None


def _trusted(nums: list[int | None], i: int) -> bool:
    """A number that continues a neighbour (previous + 1 or next - 1)."""
    n = nums[i]
    if n is None:
        return False
    return (i > 0 and nums[i - 1] == n - 1) or (i + 1 < len(nums) and nums[i + 1] == n + 1)


def _anchor(nums: list[int | None], i: int, step: int) -> int | None:
    """Index of the nearest trusted number from ``i`` in direction ``step``, not across an
    entry without a number."""
    j = i + step
    while 0 <= j < len(nums) and nums[j] is not None:
        if _trusted(nums, j):
            return j
        j += step
    return None


def _expected(nums: list[int | None], i: int) -> int | None:
    """The number the run around entry ``i`` calls for: between two neighbours two apart
    (12, ?, 14), between two trusted numbers whose distance matches the entries between them
    (11, 12, ?, ?, 15, 16), or next to a trusted number at the first or last entry of the
    page."""
    prev = nums[i - 1] if i > 0 else None
    nxt = nums[i + 1] if i + 1 < len(nums) else None
    if prev is not None and nxt is not None and nxt == prev + 2:  # 12, ?, 14
        return prev + 1
    left, right = _anchor(nums, i, -1), _anchor(nums, i, 1)
    if left is not None and right is not None:
        ln, rn = nums[left], nums[right]
        assert ln is not None and rn is not None
        return ln + (i - left) if rn - ln == right - left else None
    if left is None and right == i + 1 and i == 0:
        rn = nums[right]
        return rn - 1 if rn is not None else None
    if right is None and left == i - 1 and i == len(nums) - 1:
        ln = nums[left]
        return ln + 1 if ln is not None else None
    return None


def _settled(reading: Reading, number: int, suffix: str) -> Reading:
    own = re.match(r"^\d{1,6}(/\d{4})$", reading.value)
    year = own.group(1) if own else suffix
    value = f"{number:02d}{year}" if year else str(number)  # as sohoa.fields.parse writes it
    text = re.sub(r"\d{1,6}", str(number), reading.text, count=1) \
        if re.search(r"\d", reading.text) else str(number)
    alts = (Alternative(reading.text, reading.confidence),
            *(a for a in reading.alternatives if a.text != reading.text and a.text != text))
    return replace(reading, text=text, value=value,
                   confidence=min(reading.confidence, SETTLED_CONFIDENCE), alternatives=alts)


def _confirmed(nums: list[int | None], i: int) -> bool:
    """A number that continues both neighbours (11, 12, 13)."""
    n = nums[i]
    return (n is not None and 0 < i < len(nums) - 1 and nums[i - 1] == n - 1
            and nums[i + 1] == n + 1)


def number_columns(order: Sequence[int], names: Iterable[str],
                   reading_of: Callable[[int, str], Reading | None]
                   ) -> dict[str, list[Reading | None]]:
    """Each number field's readings down the page in entry ``order`` (``None`` where an entry
    has none): the columns ``settle_numbers`` and ``confirmed_by_run`` take, built one way for
    the pipeline and the calibration benchmark alike."""
    return {name: [reading_of(i, name) for i in order] for name in sorted(set(names))}


def confirmed_by_run(readings: list[Reading | None]) -> list[bool]:
    """Which readings of a number column continue both neighbours (11, 12, 13)."""
    nums = [number_of(r) for r in readings]
    return [_confirmed(nums, i) for i in range(len(nums))]


def settle_numbers(readings: list[Reading | None]) -> list[Reading | None]:
    """The readings of one number field down a page (``None`` where an entry has none),
    checked against each other as described in the module docstring."""
    nums = [number_of(r) for r in readings]
    suffixes = [m.group(1) for r in readings if r is not None
                for m in [re.match(r"^\d{1,6}(/\d{4})$", r.value)] if m]
    suffix = max(set(suffixes), key=suffixes.count) if suffixes else ""
    out = list(readings)
    for i, r in enumerate(readings):
        if r is None:
            continue
        n = nums[i]
        prev = nums[i - 1] if i > 0 else None
        nxt = nums[i + 1] if i + 1 < len(nums) else None
        if _confirmed(nums, i):
            if r.confidence < RUN_CONFIDENCE:
                out[i] = replace(r, confidence=RUN_CONFIDENCE)
            continue
        if _trusted(nums, i):
            continue
        want = _expected(nums, i)
        if want is not None and want > 0 and want != n:
            out[i] = _settled(r, want, suffix)
        elif n is not None and (prev is not None or nxt is not None):
            out[i] = replace(r, confidence=min(r.confidence, DOUBTFUL_CONFIDENCE))
    return out
