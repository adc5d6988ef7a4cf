"""How much ink makes a cell written, from the size of the writing on the page.

A cell counts as written when its components hold ``min_area`` pixels or more. That area used
to grow with the row height squared (0.004 h²), which holds while clerks' letters grow with
the rows. They do not on tall rows: on training-family pages the median height of a writing
component stays 8-15 px (200 dpi) for rows 42-185 px tall, so on a 5-row page with 185 px rows
the threshold reached 136 px while the median component held 39, and a short, thin value (an
entry number, a small date) was called blank. The row height is therefore capped at
``ROWS_PER_LETTER`` times the writing's own median component height; on pages of usual rows
(4-9 letter heights on 28 training-family pages) nothing changes. 10, not less: at 8 the
threshold of a faded-pen page of usual rows (photo 781003, rows 8.8 letters tall) fell from 31
to 25 px and the specks the strict ink keeps of its faded rows passed for writing.
"""

from __future__ import annotations

import numpy as np

from preprocessing.strikes import components

AREA_SHARE = 0.004  # of the (capped) row height squared
ROWS_PER_LETTER = 10.0  # a row counts at most this many median writing components tall
MIN_COMPONENTS = 30  # fewer than this and the writing's size is not trusted: no cap


def writing_height(clean: np.ndarray, body: tuple[int, int, int, int], he: float) -> float | None:
    """Median height of the writing's components inside ``body`` (x0, y0, x1, y1) of the
    ink without ruling; components of one or two pixels, taller than 0.8 row or wider than
    three rows (strikes, ruling left-overs) are left out. None with too few to tell."""
    comps = components(clean, body, min_comp=3)
    w, h = comps[:, 2] - comps[:, 0], comps[:, 3] - comps[:, 1]
    keep = (h >= 4) & (h <= 0.8 * he) & (w <= 3 * he)
    if int(keep.sum()) < MIN_COMPONENTS:
        return None
    return float(np.median(h[keep]))


def min_written_area(clean: np.ndarray, body: tuple[int, int, int, int], he: float) -> int:
    """Pixels of ink that make a cell written on this page (at least 10)."""
    hw = writing_height(clean, body, he)
    scale = he if hw is None else min(he, ROWS_PER_LETTER * hw)
    return max(10, int(AREA_SHARE * scale * scale))
