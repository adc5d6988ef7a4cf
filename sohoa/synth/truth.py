"""Ground truth of a synthetic page in the ``read`` contract shape: every box mapped from
the upright page through the scan geometry into final image pixels."""

from __future__ import annotations

import itertools
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
    for index, (row, last, fields) in enumerate(entries_raw):
        y0, y1 = g.row_edges[row], g.row_edges[last + 1]
        quad = scan.map_points(rect(x0, y0, x1, y1))
        entry = {
            "index": index,
            "row": row,
            "bbox": bbox_of(scan.map_points(edge_points(x0, y0, x1, y1)), size),
            "quad": [[round(float(x), 1), round(float(y), 1)] for x, y in quad],
            "struck": False,
            "fields": {
                name: {"text": text, "value": value,
                       "bbox": bbox_of(scan.map_points(w.hull), size),
                       "cell": bbox_of(scan.map_points(edge_points(*slot)), size),
                       "cell_quad": _quad(scan, *slot),
                       "band_quad": _quad(scan, slot[0], float(w.hull[:, 1].min()), slot[2],
                                          float(w.hull[:, 1].max()))}
                for name, (text, value, w, slot) in fields.items()
            },
        }
        if last != row:
            entry["rows"] = [row, last]
        entries.append(entry)
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


def _box(g: PageGeometry, scan: dg.ScanGeometry, x0: float, y0: float, x1: float, y1: float,
         size: tuple[int, int]) -> list[int]:
    return bbox_of(scan.map_points(edge_points(x0, y0, x1, y1)), size)


def _quad(scan: dg.ScanGeometry, x0: float, y0: float, x1: float, y1: float) -> list:
    return [[round(float(x), 1), round(float(y), 1)]
            for x, y in scan.map_points(rect(x0, y0, x1, y1))]


def layout_truth(tpl: Template, g: PageGeometry, scan: dg.ScanGeometry, book: Any,
                 spans: tuple[int, ...], size: tuple[int, int]) -> dict[str, Any]:
    """The varied layout of this page: family, column widths (share of the table, upright),
    header band and number row boxes, rows, merged header groups, missing lines."""
    x0, x1 = g.x_edges[0], g.x_edges[-1]
    tw = float(x1 - x0)
    out: dict[str, Any] = {
        "family": book.family.name,
        "held_out": book.family.held_out,
        "widths": [round((b - a) / tw, 4) for a, b in itertools.pairwise(g.x_edges)],
        "template_widths": [round(b - a, 4) for a, b in tpl.column_fractions()],
        "rows": len(g.row_edges) - 1,
        "row_heights": [b - a for a, b in itertools.pairwise(g.row_edges)],
        "header_levels": 2 if g.groups else 1,
        "header_groups": [{"columns": [tpl.columns[a].number, tpl.columns[b].number],
                           "label": label} for a, b, label in g.groups],
        "header_bbox": _box(g, scan, x0, g.header_top, x1, g.header_bottom, size),
        "number_row": g.numbers_bottom > g.header_bottom,
        "print_family": g.family,
        "hand_ruled": g.wobble > 0,
        "two_row_entries": list(spans),
        "missing_lines": {"columns": sorted(i for k, i in g.missing if k == "v"),
                          "rows": sorted(i for k, i in g.missing if k == "h")},
        "column_quads": [_quad(scan, a, g.row_edges[0], b, g.row_edges[-1])
                         for a, b in itertools.pairwise(g.x_edges)],
    }
    out["header_quad"] = _quad(scan, x0, g.header_top, x1, g.header_bottom)
    if out["number_row"]:
        out["number_row_bbox"] = _box(g, scan, x0, g.header_bottom, x1, g.numbers_bottom, size)
        out["number_row_quad"] = _quad(scan, x0, g.header_bottom, x1, g.numbers_bottom)
    return out
