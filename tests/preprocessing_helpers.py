"""Shared helpers for the preprocessing tests: generated pages (cached), their analysis, and
comparison with the generator's truth."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from preprocessing import PageLayout, analyze_page
from sohoa.synth import SynthPage, generate_page
from sohoa.synth.page import page_plan
from sohoa.template import load_template


@cache
def page(template: str, seed: int, difficulty: str = "easy", rotation: int = 0) -> SynthPage:
    """A generated page with the test fonts (cached for the session)."""
    return generate_page(template, seed, difficulty=difficulty, font_role="test",
                         rotation=rotation)


@cache
def analysed(template: str, seed: int, difficulty: str = "easy",
             rotation: int = 0) -> tuple[SynthPage, PageLayout]:
    p = page(template, seed, difficulty, rotation)
    return p, analyze_page(p.image, load_template(template))


def seed_where(template: str, want, start: int = 1, limit: int = 400) -> int:
    """First seed whose page plan (blank rows, cancelled row) satisfies ``want(plan)``."""
    rows = load_template(template).rows_per_page
    for seed in range(start, start + limit):
        if want(page_plan(np.random.default_rng([seed, 1]), rows)):
            return seed
    raise AssertionError(f"no seed in {start}..{start + limit} fits")


def quad_iou(a, b) -> float:
    pa, pb = np.array(a, np.float32).reshape(4, 2), np.array(b, np.float32).reshape(4, 2)
    inter, _ = cv2.intersectConvexConvex(pa, pb)
    union = cv2.contourArea(pa) + cv2.contourArea(pb) - inter
    return float(inter / union) if union > 0 else 0.0


def box_iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match_entries(truth: dict, layout: PageLayout) -> list[tuple[dict, object]]:
    """(truth entry, found entry) pairs whose row quads overlap with IoU >= 0.5."""
    pairs = sorted(((quad_iou(t["quad"], f.quad), i, j)
                    for i, t in enumerate(truth["entries"])
                    for j, f in enumerate(layout.entries)), reverse=True)
    used_t: set[int] = set()
    used_f: set[int] = set()
    out = []
    for v, i, j in pairs:
        if v >= 0.5 and i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
            out.append((truth["entries"][i], layout.entries[j]))
    return out


def field_ious(pairs) -> list[float]:
    """IoU of each written truth field with the found field's handwriting box (0 if empty)."""
    out = []
    for t, f in pairs:
        for name, tf in t["fields"].items():
            fb = f.fields[name]
            out.append(0.0 if fb.empty else box_iou(tf["bbox"], fb.bbox))
    return out


def x_overlap(quad, cell) -> float:  # noqa: ANN001
    """Share of the union of a found box's x-range (a quad's corners) and a truth cell's
    (x0, y0, x1, y1) that both cover: 1.0 when the box lies exactly over the cell's columns."""
    xs = [p[0] for p in quad]
    a0, a1, b0, b1 = min(xs), max(xs), float(cell[0]), float(cell[2])
    inter = max(0.0, min(a1, b1) - max(a0, b0))
    return inter / (max(a1, b1) - min(a0, b0))


def off_column_fields(pairs, least: float = 0.85) -> list[str]:  # noqa: ANN001
    """``entry:field`` of the matched entries' fields whose box (its cell, else its quad)
    overlaps the truth cell's x-range by less than ``least``: read from another column."""
    return [f"{t['index']}:{name}" for t, f in pairs for name, tf in t["fields"].items()
            if x_overlap(f.fields[name].cell or f.fields[name].quad, tf["cell"]) < least]


@cache
def analysed_family_page(tid: str, seed: int, family: str) -> tuple[SynthPage, PageLayout]:
    """A training-family page drawn as ``benchmarks/segment_errors.py`` draws it (seed % 10_000
    >= 1000 is hard; last digit 7/8/9 turns it 90/180/270), and its analysis."""
    difficulty = "hard" if seed % 10_000 >= 1000 else "easy"
    rotation = {7: 90, 8: 180, 9: 270}.get(seed % 10, 0)
    p = generate_page(load_template(tid), seed, difficulty=difficulty, font_role="bench",
                      rotation=rotation, layout=family)
    return p, analyze_page(p.image, load_template(tid))
