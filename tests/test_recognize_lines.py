"""Wrapped values: a field crop holding several handwritten lines is read line by line."""

from __future__ import annotations

import numpy as np

from ocr import get_engine
from preprocessing.lines import text_line_bands
from sohoa.recognize import EnginePlan, Recognizer, join_lines
from sohoa.records import Alternative, FieldCrop, FieldKind, Reading
from sohoa.synth import HandStyle, render_handwriting


def _stack(*lines: str, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    style = HandStyle.sample(rng, font_role="test")
    imgs = [render_handwriting(t, style, rng) for t in lines]
    w = max(i.shape[1] for i in imgs)
    rows = [np.pad(i, ((2, 2), (0, w - i.shape[1])), constant_values=255) for i in imgs]
    return np.vstack(rows)


def test_one_line_is_not_cut():
    img = _stack("Lò Văn Hùng")
    assert text_line_bands(img) == [(0, img.shape[0])]


def test_wrapped_place_is_cut_into_its_lines():
    img = _stack("Bản Kéo Tở,", "Lâm Thượng,", "Lục Yên")
    bands = text_line_bands(img)
    assert len(bands) == 3
    assert bands[0][0] == 0 and bands[-1][1] == img.shape[0]
    blank = np.full((40, 120), 255, np.uint8)
    assert text_line_bands(blank) == [(0, 40)]


def _touching(*lines: str, overlap: float, seed: int = 5) -> tuple[np.ndarray, list[int]]:
    """Lines written so close that their ink rows overlap by ``overlap`` of a line's ink
    height (descenders into the next line's marks): no empty row parts them."""
    rng = np.random.default_rng(seed)
    style = HandStyle.sample(rng, font_role="test")
    imgs = []
    for t in lines:
        i = render_handwriting(t, style, rng)
        rows = np.flatnonzero((i < 160).any(axis=1))
        imgs.append(i[rows[0]: rows[-1] + 1])
    w = max(i.shape[1] for i in imgs)
    tops, y = [], 0
    for i in imgs:
        tops.append(y)
        y += int(i.shape[0] * (1 - overlap))
    canvas = np.full((tops[-1] + imgs[-1].shape[0] + 6, w + 6), 255, np.uint8)
    for i, top in zip(imgs, tops, strict=True):
        region = canvas[3 + top: 3 + top + i.shape[0], 3: 3 + i.shape[1]]
        np.minimum(region, i, out=region)
    return canvas, [3 + t + i.shape[0] // 2 for t, i in zip(tops, imgs, strict=True)]


def test_wrapped_lines_that_touch_are_cut_at_the_valley_between_them():
    # a narrow cell's place on four lines, each line's ink reaching into the next's
    img, mids = _touching("Xóm Púng Tở,", "xã Mường Tè,", "huyện Vân Hồ,", "tỉnh Sơn La",
                          overlap=0.15)
    assert not (np.count_nonzero(img < 128, axis=1) == 0)[mids[0]:mids[-1]].any()  # no gap
    bands = text_line_bands(img)
    assert len(bands) == 4, bands
    assert all(y0 <= m < y1 for (y0, y1), m in zip(bands, mids, strict=True))


def test_a_number_a_year_or_a_sex_is_read_as_one_line():
    # a digit's thin middle ("27": the bars over a thin stroke) is a valley, a "1"'s stem
    # broken by the binarisation an empty row; numbers and years are never wrapped
    from preprocessing.lines import field_line_bands, wraps
    from sohoa.recognize import split_lines

    assert not wraps(FieldKind.NUMBER) and not wraps("year") and not wraps(FieldKind.SEX)
    assert wraps(FieldKind.PLACE) and wraps(None)
    img, _ = _touching("Xóm Púng Tở,", "xã Mường Tè,", overlap=0.15)
    box = (0, 0, img.shape[1], img.shape[0])
    parts = split_lines(FieldCrop("noiSinh", FieldKind.PLACE, img, box))
    assert len(parts) == 2 and all(p.part for p in parts)  # each line marked a part
    whole = split_lines(FieldCrop("so", FieldKind.NUMBER, img, box))
    assert len(whole) == 1 and not whole[0].part
    gapped = _stack("12", "3")  # an empty row between: two bands for any other kind
    assert len(field_line_bands(gapped, FieldKind.DATE)) == 2
    assert field_line_bands(gapped, FieldKind.YEAR) == [(0, gapped.shape[0])]


def test_join_lines_keeps_the_best_combinations():
    a = Reading("f", "Việt", confidence=0.9,
                alternatives=(Alternative("Việt", 0.9), Alternative("Viet", 0.1)))
    b = Reading("f", "Nam", confidence=0.8,
                alternatives=(Alternative("Nam", 0.8), Alternative("Năm", 0.2)))
    empty = Reading("f", "", confidence=1.0)
    got = join_lines([a, empty, b])
    assert got[0].text == "Việt Nam" and abs(got[0].confidence - 0.72) < 1e-9
    assert [g.text for g in got[:3]] == ["Việt Nam", "Việt Năm", "Viet Nam"]


def test_recognizer_reads_each_line_and_joins_them():
    img = _stack("Việt", "Nam")
    texts = iter(["Việt", "Nam"])
    engine = get_engine("fake", script=lambda crop, i: (next(texts), 0.9))
    rec = Recognizer(EnginePlan(default="fake"), engines={"fake": engine})
    crop = FieldCrop("nksQuocTich", FieldKind.NATIONALITY, img, (0, 0, img.shape[1], img.shape[0]))
    (reading,) = rec.read([crop])
    assert reading.value == "Việt Nam"
    assert len(engine.calls[0].read) == 2  # two line images went to the engine


def test_evaluate_lines_reads_each_line_image_whole():
    """``sohoa evaluate --lines`` (``models.lines_run.read_lines``) hands each labelled line
    image to the engine whole, even one the field splitter would cut in two (a tall line
    image with marks or a second row of writing): a line set holds single lines."""
    from models.lines import LabelledLine
    from models.lines_run import read_lines

    img = _stack("Bản Kéo Tở,", "Lâm Thượng")
    assert len(text_line_bands(img)) == 2  # the pipeline would read two lines here
    seen: list[tuple[int, int]] = []

    def script(crop, i):
        seen.append(crop.image.shape[:2])
        return ("Bản Kéo Tở, Lâm Thượng", 0.9)

    engine = get_engine("fake", script=script)
    got = read_lines(engine, [LabelledLine(img, "Bản Kéo Tở, Lâm Thượng", "", "l1.png")])
    # read as text, then (it opens with a hamlet word) again as a place: whole both times
    assert seen == [img.shape[:2]] * 2
    assert got[0][0] == "Bản Kéo Tở, Lâm Thượng"


def test_htr_reads_a_wrapped_place_whole():
    """rules-s28 rule 30: the lines of a wrapped place are read by the network one by one and
    decoded as one place (their frames joined), so the gazetteer judges the whole value."""
    import ocr.htr as htr
    from sohoa.recognize import split_lines

    img = _stack("Bản Kéo Tở, xã Lâm Thượng,", "huyện Lục Yên, tỉnh Yên Bái")
    engine = get_engine("htr", device="cpu")
    crop = FieldCrop("nksNoiSinh", FieldKind.PLACE, img, (0, 0, img.shape[1], img.shape[0]),
                     entry=0)
    parts = split_lines(crop)
    assert len(parts) == 2 and all(p.part for p in parts)
    whole = engine.recognize_kinds(parts, [FieldKind.PLACE] * 2)
    assert whole[1].text == ""  # its frames were decoded with the first line's
    assert whole[0].text.startswith("Bản ") and whole[0].text.endswith("tỉnh Yên Bái")
    rec = Recognizer(EnginePlan(default="htr"), engines={"htr": engine})
    (cell,) = rec.raw([crop])
    assert cell.candidates[0].text == whole[0].text
    saved = htr.WHOLE_WRAPPED_KINDS
    try:  # line by line, as before: each line its own place, joined afterwards
        htr.WHOLE_WRAPPED_KINDS = ()
        apart = engine.recognize_kinds(parts, [FieldKind.PLACE] * 2)
    finally:
        htr.WHOLE_WRAPPED_KINDS = saved
    assert apart[1].text.endswith("Yên Bái") and not apart[0].text.endswith("Yên Bái")
