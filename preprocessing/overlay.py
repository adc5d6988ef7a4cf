"""Draw what page analysis found over the scan, for people checking it (``--debug-dir``)."""

from __future__ import annotations

import cv2
import numpy as np

from preprocessing.layout import PageLayout

ENTRY = (0, 160, 0)
FIELD = (0, 90, 255)
EMPTY = (170, 170, 170)
SKIPPED = (220, 0, 0)
HEADER = (160, 0, 200)


def draw_overlay(image: np.ndarray, layout: PageLayout, max_side: int = 2000) -> np.ndarray:
    """An RGB picture of the page with entries, field boxes, skipped rows and the status."""
    rgb = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    rgb = np.ascontiguousarray(rgb[:, :, :3]).copy()
    s = min(1.0, max_side / max(rgb.shape[:2]))
    if s < 1.0:
        rgb = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    t = max(1, round(2 * max(rgb.shape[:2]) / 2000))

    def poly(q, colour, thick):  # type: ignore[no-untyped-def]
        pts = (np.array(q, dtype=np.float64) * s).round().astype(np.int32)
        cv2.polylines(rgb, [pts], True, colour, thick, cv2.LINE_AA)

    if layout.header_bbox:
        x0, y0, x1, y1 = (round(v * s) for v in layout.header_bbox)
        cv2.rectangle(rgb, (x0, y0), (x1, y1), HEADER, t)
    for e in layout.entries:
        for f in e.fields.values():
            poly(f.quad, EMPTY if f.empty else FIELD, 1)
        poly(e.quad, ENTRY, t + 1)
        x0, y0 = round(e.quad[0][0] * s), round(e.quad[0][1] * s)
        cv2.putText(rgb, str(e.index), (x0 + 4, y0 + 22 * t), cv2.FONT_HERSHEY_SIMPLEX,
                    0.6 * t, ENTRY, t, cv2.LINE_AA)
    for r in layout.skipped_rows:
        x0, y0, x1, y1 = (round(v * s) for v in r.bbox)
        cv2.rectangle(rgb, (x0, y0), (x1, y1), SKIPPED, t)
        cv2.putText(rgb, r.reason, (x0 + 4, y1 - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * t,
                    SKIPPED, t, cv2.LINE_AA)
    label = f"{layout.status} | angle {layout.angle:.2f} | rotation {layout.rotation}"
    cv2.putText(rgb, label, (10, 30 * t), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * t, (255, 255, 255),
                3 * t, cv2.LINE_AA)
    cv2.putText(rgb, label, (10, 30 * t), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * t, SKIPPED, t,
                cv2.LINE_AA)
    return rgb
