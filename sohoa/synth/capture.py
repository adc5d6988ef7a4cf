"""How a varied-layout book's page was captured: phone-photo keystone, the table cut at the
image edge, uneven light, the facing page. Adds to the flatbed :class:`ScanGeometry` and
says in the truth which columns the cut removed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import cv2
import numpy as np

from sohoa.synth.degrade import ScanGeometry
from sohoa.synth.families import LayoutFamily
from sohoa.synth.layout import PageGeometry
from sohoa.template import Template


def photo_scan(scan: ScanGeometry, rng: np.random.Generator, fam: LayoutFamily, hard: bool,
               g: PageGeometry) -> ScanGeometry:
    """Keystone and crop for hard pages of ``fam`` (easy pages stay flatbed scans)."""
    if not hard:
        return scan
    w, h = scan.out_w, scan.out_h
    if fam.perspective > 0:
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        p = fam.perspective * rng.uniform(0.4, 1.0)
        top_in = rng.random() < 0.5  # which side is farther from the camera
        d = np.float32([[1, 1], [-1, 1], [-1, -1], [1, -1]])
        amount = np.array([[p * w * (1.0 if top_in else 0.2), p * h * 0.3]] * 2
                          + [[p * w * (0.2 if top_in else 1.0), p * h * 0.3]] * 2)
        amount *= rng.uniform(0.6, 1.0, (4, 2))
        dst = (src + d * amount).astype(np.float32)
        hom = cv2.getPerspectiveTransform(src, dst)
        scan = replace(scan, homography=tuple(tuple(float(v) for v in r) for r in hom))
    if rng.random() < fam.crop:
        pts = scan.map_points(np.array([[g.x_edges[0], g.row_edges[0]],
                                        [g.x_edges[-1], g.row_edges[0]],
                                        [g.x_edges[-1], g.row_edges[-1]],
                                        [g.x_edges[0], g.row_edges[-1]]], float))
        left_x, right_x = float(pts[:, 0].min()), float(pts[:, 0].max())
        cut = rng.uniform(0.04, 0.25) * (right_x - left_x)
        if rng.random() < 0.5:
            scan = replace(scan, crop=(0, 0, int(min(w, right_x - cut)), h))
        else:
            scan = replace(scan, crop=(int(max(0, left_x + cut)), 0, w, h))
    return scan


def _visible(poly: np.ndarray, size: tuple[int, int]) -> float:
    """Share of a convex polygon's area inside the image."""
    w, h = size
    img = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    p = poly.astype(np.float32)
    area = cv2.contourArea(p)
    inter, _ = cv2.intersectConvexConvex(p, img)
    return float(inter / area) if area > 0 else 0.0


def cut_truth(tpl: Template, g: PageGeometry, scan: ScanGeometry) -> dict[str, Any] | None:
    """Which columns a cut edge removed (``columns``, under 5 % visible) or cut into
    (``partial_columns``), by template column number; None when nothing is cut."""
    if scan.crop is None:
        return None
    size = scan.final_size
    gone, partial = [], []
    for i, col in enumerate(tpl.columns):
        x0, x1 = g.x_edges[i], g.x_edges[i + 1]
        quad = scan.map_points(np.array([[x0, g.row_edges[0]], [x1, g.row_edges[0]],
                                         [x1, g.row_edges[-1]], [x0, g.row_edges[-1]]], float))
        share = _visible(quad, size)
        if share < 0.05:
            gone.append(col.number)
        elif share < 0.98:
            partial.append(col.number)
    side = "right" if scan.crop[0] == 0 else "left"
    return {"side": side, "columns": gone, "partial_columns": partial,
            "fields": [f.name for c in tpl.columns if c.number in gone for f in c.fields]}


def drop_cut_fields(truth: dict[str, Any], scan: ScanGeometry, hulls: dict) -> None:
    """Fields whose ink the cut removed (under 30 % of the ink box left) leave ``fields`` for
    ``cut_fields``; partly cut ones stay, marked ``"cut": true`` (box clipped to the image)."""
    if scan.crop is None:
        return
    size = scan.final_size
    for e in truth["entries"]:
        cut: list[str] = []
        for name in list(e["fields"]):
            pts = hulls[(e["row"], name)]
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            share = _visible(np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]), size)
            if share < 0.3:
                cut.append(name)
                del e["fields"][name]
            elif share < 0.99:
                e["fields"][name]["cut"] = True
        if cut:
            e["cut_fields"] = cut
