"""The dark surround a photographed line can hold (the desk beyond the paper's corner) is
painted the paper's grey before the reader sees it (``models.preprocess.clear_dark_edges``,
rules-s35.md rule 66); cells cut from register pages, with their ruling and their strokes
cut by the crop's edge, are never touched."""

from __future__ import annotations

import numpy as np
import pytest

from models.preprocess import clear_dark_edges
from sohoa.synth.pen import render_stroke_line
from sohoa.synth.stroke_writer import HELD_OUT_SEED0, StrokeWriter
from tests.htr_helpers import cer_with

TEXTS = ("xã Chiềng Mung, huyện Mai Sơn", "Lò Thị Hương", "bản Nà Sản, xã Mường Bú",
         "Quàng Văn Minh")
DESK = 45


def _line(text: str, seed: int) -> np.ndarray:
    assert 900_000 + seed < HELD_OUT_SEED0  # training-side validation writers only
    img = render_stroke_line(text, StrokeWriter.sample(900_000 + seed, x_height=13.0),
                             np.random.default_rng(seed), photo=False)
    return img if img.ndim == 2 else img.mean(axis=2).astype(np.uint8)


def _on_desk(img: np.ndarray) -> np.ndarray:
    """The line photographed at the paper's corner: a strip of paper above and to the left,
    then the dark desk (as ``benchmarks/line_stress.py``'s "desk" change)."""
    h, w = img.shape
    paper = int(np.percentile(img, 90))
    out = np.full((h + h // 2 + h // 4 + h // 2, w + h + h // 2 + h), paper, np.uint8)
    out[: h // 2, :] = DESK
    out[:, :h] = DESK
    out[h // 2 + h // 2: h // 2 + h // 2 + h, h + h: h + h + w] = img
    return out


def test_the_desk_is_painted_paper_and_the_writing_kept() -> None:
    img = _line("Lò Thị Hương", 3)
    desk = _on_desk(img)
    out = clear_dark_edges(desk)
    assert out is not desk and out.shape == desk.shape
    assert (out < 60).sum() < 0.01 * out.size  # no band of desk left
    h = img.shape[0]
    # the writing itself unchanged
    assert np.array_equal(out[h: 2 * h, 2 * h: 2 * h + img.shape[1]], img)


@pytest.mark.parametrize("case", ["plain", "ruled edges", "stroke cut by the edge", "tiny"])
def test_crops_without_a_surround_are_returned_as_they_are(case: str) -> None:
    img = _line("Quàng Văn Minh", 5)
    if case == "ruled edges":  # a cell's ruling along its top and left edges, 3 px thick
        img = img.copy()
        img[:3, :] = 30
        img[:, :3] = 30
    elif case == "stroke cut by the edge":  # bold ink running off the crop's bottom edge
        img = img.copy()
        img[-12:, 40:52] = 20
    elif case == "tiny":
        img = np.full((6, 12), 20, np.uint8)
    assert clear_dark_edges(img) is img


def test_lines_on_the_desk_read_about_as_the_lines_alone() -> None:
    lines = [_line(t, 10 + i) for i, t in enumerate(TEXTS)]
    desk = [_on_desk(im) for im in lines]
    alone = cer_with("DARK_EDGES", True, lines, list(TEXTS), "text")
    before = cer_with("DARK_EDGES", False, desk, list(TEXTS), "text")
    after = cer_with("DARK_EDGES", True, desk, list(TEXTS), "text")
    assert after <= alone + 0.05 and before >= after + 0.2, (alone, before, after)


def _margin_rule(img: np.ndarray) -> np.ndarray:
    """A notebook's margin rule beside the line (3 px, grey 110), the paper widened for it."""
    h = img.shape[0]
    paper = int(np.percentile(img, 90))
    out = np.full((h, img.shape[1] + h // 2), paper, np.uint8)
    out[:, h // 2:] = img
    out[:, h // 4: h // 4 + 3] = np.minimum(out[:, h // 4: h // 4 + 3], 110)
    return out


def test_a_margin_rule_beside_a_whole_line_is_taken_out() -> None:
    from models.preprocess import remove_edge_rules

    img = _line("xã Chiềng Mung", 21)
    ruled = _margin_rule(img)
    out = remove_edge_rules(ruled)
    assert out is not ruled
    h = img.shape[0]
    assert out[:, h // 4: h // 4 + 3].min() > 200  # the rule is paper now
    assert np.array_equal(out[:, h // 2:], img)  # the writing untouched
    # a line without one, even with its first letter's stem at the very edge, is left
    tight = img[:, int(np.argmax((img < 128).any(axis=0))):]
    assert remove_edge_rules(tight) is tight
    assert remove_edge_rules(img) is img


def test_whole_lines_with_a_margin_rule_read_as_without() -> None:
    lines = [_line(t, 30 + i) for i, t in enumerate(TEXTS)]
    ruled = [_margin_rule(im) for im in lines]
    alone = cer_with("EDGE_RULES_OUT", True, lines, list(TEXTS), "text", whole_line=True)
    before = cer_with("EDGE_RULES_OUT", False, ruled, list(TEXTS), "text", whole_line=True)
    after = cer_with("EDGE_RULES_OUT", True, ruled, list(TEXTS), "text", whole_line=True)
    assert after <= alone + 0.02 and after < before, (alone, before, after)


def test_a_line_across_the_width_at_a_whole_lines_edge_is_cut_off() -> None:
    """A printed box's top and bottom sides (or a scanner's edge) are rows of ink at the
    crop's edge: cut off with the paper (``_edge_pieces``, whole lines; rule 68), as thin
    as they are; a tone mark as thin at the edge stays."""
    from models.preprocess import trim_rows

    img = _line("Lò Thị Hương", 41)
    h, w = img.shape
    paper = int(np.percentile(img, 90))
    boxed = np.full((h + 20, w), paper, np.uint8)
    boxed[10: 10 + h] = img
    boxed[:2] = 40  # the box's sides: 2 px, the whole width
    boxed[-2:] = 40
    out = trim_rows(boxed, edge_pieces=True)
    assert (out[:3] > 100).all() and (out[-3:] > 100).all()  # no side left
    assert (out < 128).sum() == (img < 128).sum()  # the writing whole
    # a short mark at the top edge (a tone mark cut by a tight crop) is no rule: kept
    marked = boxed.copy()
    marked[:2] = paper
    marked[-2:] = paper
    marked[:2, 40:52] = 40
    kept = trim_rows(marked, edge_pieces=True)
    assert (kept < 128).sum() == (marked < 128).sum()
