"""Ground truth of a synthetic page in the ``read`` contract shape: every box mapped from
the upright page through the scan geometry into final image pixels."""

from __future__ import annotations

from typing import Any

import numpy as np

from sohoa.synth import degrade as dg
from sohoa.synth.layout import PageGeometry
from sohoa.synth.people import BookInfo
from sohoa.template import Template


def bbox_of(points: np.ndarray, size: tuple[int, int]) -> list[int]:
    w, h = size
    x0, y0 = np.floor(points.min(axis=0))
    x1, y1 = np.ceil(points.max(axis=0))
    return [int(np.clip(x0, 0, w)), int(np.clip(y0, 0, h)), int(np.clip(x1, 0, w)),
            int(np.clip(y1, 0, h))]


def rect(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


def edge_points(x0: float, y0: float, x1: float, y1: float, n: int = 12) -> np.ndarray:
    """Points along a rectangle's border (so a curled page still gets a covering box)."""
    t = np.linspace(0, 1, n)
    xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    return np.concatenate([
        np.stack([xs, np.full(n, y0)], 1), np.stack([xs, np.full(n, y1)], 1),
        np.stack([np.full(n, x0), ys], 1), np.stack([np.full(n, x1), ys], 1),
    ])


def row_box(g: PageGeometry, scan: dg.ScanGeometry, row: int, size: tuple[int, int]
             ) -> list[int]:
    x0, x1 = g.x_edges[0], g.x_edges[-1]
    return bbox_of(scan.map_points(edge_points(x0, g.row_edges[row], x1, g.row_edges[row + 1])),
                 size)


def page_truth(
    tpl: Template, g: PageGeometry, scan: dg.ScanGeometry, book: BookInfo, page_no: int,
    entries_raw: list, rows: int, n_blank: int, struck: bool, size: tuple[int, int],
) -> dict[str, Any]:
    x0, x1 = g.x_edges[0], g.x_edges[-1]
    entries = []
    for index, (row, fields) in enumerate(entries_raw):
        y0, y1 = g.row_edges[row], g.row_edges[row + 1]
        quad = scan.map_points(rect(x0, y0, x1, y1))
        entries.append({
            "index": index,
            "row": row,
            "bbox": bbox_of(scan.map_points(edge_points(x0, y0, x1, y1)), size),
            "quad": [[round(float(x), 1), round(float(y), 1)] for x, y in quad],
            "struck": False,
            "fields": {
                name: {"text": text, "value": value,
                       "bbox": bbox_of(scan.map_points(w.hull), size)}
                for name, (text, value, w) in fields.items()
            },
        })
    blank = [row_box(g, scan, r, size) for r in range(rows - n_blank, rows)]
    return {
        "page": f"{tpl.id}-{page_no:04d}",
        "template": tpl.id,
        "angle": round(scan.angle, 3),
        "rotation": scan.rotation,
        "width": size[0],
        "height": size[1],
        "page_no": page_no,
        "book": {"register_type": book.register_type, "year": book.year, "volume": book.volume,
                 "commune": book.place.ward, "district": book.place.district,
                 "province": book.place.province},
        "entries": entries,
        "blank_rows": blank,
        "blank_rows_struck": bool(struck),
        "table": {"quad": [[round(float(x), 1), round(float(y), 1)] for x, y in
                           scan.map_points(rect(x0, g.header_top, x1, g.row_edges[-1]))]},
    }
