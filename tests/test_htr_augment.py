"""Cell degradations for training crops (models/augment.py): shapes, dtype, and that a stamp
really crosses the writing."""

from __future__ import annotations

import numpy as np

from models.augment import DEGRADATIONS, _stamp, degrade


def _line(h: int = 40, w: int = 300) -> np.ndarray:
    img = np.full((h, w), 255, np.uint8)
    img[12:28, 20:280:12] = 0  # strokes
    return img


def test_a_stamp_only_darkens_and_keeps_the_writing() -> None:
    rng = np.random.default_rng(7)
    img = _line()
    changed = 0
    for _ in range(20):
        out = _stamp(img.copy(), rng)
        assert out.shape == img.shape and out.dtype == np.uint8
        assert (out <= img).all()  # ink is never lightened
        assert (out[img == 0] == 0).all()
        changed += int((out < img).any())
    assert changed >= 15  # arcs reach into the crop most of the time


def test_degrade_gives_grey_uint8_crops_and_sometimes_a_stamp() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        out = degrade(_line(), rng)
        assert out.ndim == 2 and out.dtype == np.uint8 and out.size > 0
    assert any(d.startswith("stamp") for d in DEGRADATIONS)


def test_distort_bends_and_reinks_the_writing_but_keeps_it_readable_in_shape() -> None:
    """distort() (the shape/ink augmentation for unseen hands) keeps a crop's size and type,
    changes its pixels, keeps the ink dark on light paper, and is what SynthSource applies
    to ``distort_share`` of its lines (recorded in describe())."""
    import cv2

    from models.augment import DISTORTIONS, distort
    from models.data import SynthSource

    img = np.full((40, 200), 235, np.uint8)
    cv2.putText(img, "Co Ma 1998", (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    changed = 0
    for seed in range(20):
        out = distort(img.copy(), np.random.default_rng(seed))
        assert out.shape == img.shape and out.dtype == np.uint8
        changed += int(np.abs(out.astype(int) - img).mean() > 0.5)
        assert np.median(out) > 150  # still paper
        assert out.min() < 150  # still ink
    assert changed >= 15
    tiny = np.full((5, 5), 255, np.uint8)
    assert distort(tiny, np.random.default_rng(0)) is tiny
    src = SynthSource("train", distort_share=1.0)
    assert src.describe()["distortions"] == list(DISTORTIONS)
    s = src.sample(np.random.default_rng(3))
    assert s.image.ndim == 2 and s.text


def test_capture_makes_bitonal_specked_and_low_resolution_lines_without_losing_the_ink() -> None:
    """capture() (how a line may reach us: a black-and-white scan, dust, a low resolution,
    thinner or bolder ink) keeps size and type, leaves the writing dark where it was, makes
    some crops two-toned, and is what SynthSource applies to ``capture_share`` of its lines."""
    from models.augment import CAPTURES, _bitonal, _specks, capture
    from models.data import SynthSource

    img = np.full((40, 300), 255, np.uint8)
    ink = np.zeros(img.shape, bool)
    for x in range(20, 280, 12):
        ink[12:28, x:x + 3] = True  # strokes 3 px wide, in grey ink (a bitonal scan changes it)
    img[ink] = 60
    rng = np.random.default_rng(3)
    two_toned = 0
    for _ in range(60):
        out = capture(img, rng)
        assert out.shape == img.shape and out.dtype == np.uint8
        assert out[ink].mean() < out[~ink].mean() - 20  # the strokes stay ink
        two_toned += int(len(np.unique(out)) <= 2)
    assert 5 <= two_toned <= 45
    for seed in range(20):  # every bitonal scan keeps the strokes, even a low fixed threshold
        b = _bitonal(img, np.random.default_rng(seed))
        assert set(np.unique(b)) <= {0, 255} and (b[ink] == 0).mean() > 0.5
    specked = _specks(np.full((40, 300), 255, np.uint8), np.random.default_rng(1))
    assert 0 < (specked < 128).mean() < 0.05
    src = SynthSource("train", capture_share=1.0)
    assert src.describe()["captures"] == list(CAPTURES)
    assert src.sample(np.random.default_rng(2)).image.dtype == np.uint8


def test_curve_bends_the_whole_line_without_cutting_ink_or_showing_the_crops_edge() -> None:
    """curve() moves each column up or down along a smooth curve (arc, drift, wave): the ink's
    row centre then wanders across the line by about the drawn peak-to-peak height, no ink is
    lost off the image, the added paper continues the crop's own paper (no band where the old
    crop ended), and SynthSource applies it to ``bend_share`` of its lines."""
    from models.augment import CURVE_RANGE, CURVES, curve, curve_shape
    from models.data import SynthSource

    rng = np.random.default_rng(7)
    for kind in CURVES:
        c = curve_shape(kind, 200, rng)
        assert c.shape == (200,) and abs(float(c.max() - c.min()) - 1.0) < 1e-5
        assert np.abs(np.diff(c)).max() < 0.1  # smooth: no jump between columns
    img = np.full((40, 300), 200, np.uint8)
    img[18:22, 10:290] = 30  # one long stroke along a straight baseline
    spans = []
    for _ in range(40):
        out = curve(img, rng)
        assert out.dtype == np.uint8 and out.shape[1] == 300 and out.shape[0] >= 40
        dark = out < 110
        assert abs(int(dark.sum()) - int((img < 110).sum())) < 0.15 * (img < 110).sum()
        cols = [x for x in range(20, 280) if dark[:, x].any()]
        centre = np.array([np.mean(np.nonzero(dark[:, x])[0]) for x in cols])
        spans.append(centre.max() - centre.min())
        assert abs(int(np.median(out[~dark])) - 200) <= 3  # the paper goes on in its tone
        assert out[:3].mean() > 185 and out[-3:].mean() > 185  # paper above and below
    assert min(spans) < CURVE_RANGE[0] * 40 + 4 and max(spans) > 0.3 * 40
    src = SynthSource("train", bend_share=1.0)
    assert src.describe()["curves"] == list(CURVES)
    assert src.sample(np.random.default_rng(2)).image.dtype == np.uint8


def test_shake_smears_the_ink_along_one_direction_and_keeps_it_in_place() -> None:
    """shake() is a hand-held photo's motion blur: its kernel is a straight smear of the
    asked length and direction summing to 1 (a double exposure weighs its two ends more than
    the path, the far one by ``ghost``); a thin upright stroke comes out wider, as much ink
    as before and centred where it was; the same seed gives the same image, and SynthSource
    applies it to ``shake_share`` of its lines and records its ranges."""
    from models.augment import SHAKE_RANGE, shake, shake_kernel
    from models.data import SynthSource

    k = shake_kernel(7, 0)
    assert k.shape == (7, 7) and abs(float(k.sum()) - 1) < 1e-6
    assert np.allclose(k[3], 1 / 7) and k[[0, 1, 2, 4, 5, 6]].sum() == 0  # along the line
    assert np.allclose(shake_kernel(7, 90)[:, 3], 1 / 7)  # across it
    g = shake_kernel(10, 0, ghost=0.5)
    row = g[g.shape[0] // 2]
    assert abs(float(g.sum()) - 1) < 1e-6 and row[0] > 3 * row[5] and row[-1] > 2 * row[5]
    assert 0.35 < row[-1] / row[0] < 0.65  # the second exposure fainter by about ghost

    img = np.full((50, 200), 220, np.uint8)
    img[10:40, 98:102] = 20  # one upright stroke, 4 px wide
    ink = (220.0 - img.astype(np.float32)).sum()
    rng = np.random.default_rng(3)
    widths = []
    for _ in range(30):
        out = shake(img, rng)
        assert out.shape == img.shape and out.dtype == np.uint8
        dark = 220.0 - out.astype(np.float32)
        assert abs(float(dark.sum()) - ink) < 0.06 * ink  # no ink made or lost
        cols = dark.sum(axis=0)
        centre = float((cols * np.arange(200)).sum() / cols.sum())
        assert abs(centre - 99.5) < SHAKE_RANGE[1] * 50 / 2  # within half the longest smear
        widths.append(int(np.count_nonzero(cols > 0.05 * cols.max())))
    assert max(widths) >= 4 + SHAKE_RANGE[1] * 50 * 0.5  # some smears well across the stroke
    assert np.array_equal(shake(img, np.random.default_rng(9)),
                          shake(img, np.random.default_rng(9)))
    src = SynthSource("train", shake_share=1.0)
    assert src.describe()["shake_range"] == list(SHAKE_RANGE)
    assert "shake_share" not in SynthSource("train").describe()
    assert src.sample(np.random.default_rng(2)).image.dtype == np.uint8


def test_model_card_names_every_augmentation_a_run_recorded() -> None:
    """The model card's data lines come from what the training source recorded in the run's
    data.json: each share that was on gets its line with its value and its recorded ranges,
    and a share that was off gets none."""
    from models.data import SynthSource
    from models.ship import training_data_notes

    src = SynthSource("train", stroke_share=0.4, distort_share=0.2, capture_share=0.25,
                      bend_share=0.15, shake_share=0.3, letter_variety=0.5)
    notes = training_data_notes({"train": src.describe()})
    for line in ("40% of lines written with pen strokes", "20% of lines also distorted",
                 "25% of lines also captured badly", "15% of lines also written along a smooth",
                 "30% of lines also photographed with the camera moving",
                 "[0.04, 0.2] x the height, 30% of them a double exposure",
                 "50% of the pen-stroke writers also given letter variety"):
        assert line in notes, line
    plain = training_data_notes({"train": SynthSource("train", stroke_share=0.4).describe()})
    assert "pen strokes" in plain
    assert "camera moving" not in plain and "distorted" not in plain and "variety" not in plain
