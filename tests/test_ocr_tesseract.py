"""The Tesseract engine on printed Vietnamese lines drawn with DejaVu Sans."""

from __future__ import annotations

import numpy as np
import pytest
from ocr_helpers import make_crop

from ocr import EngineUnavailable, get_engine
from ocr.tesseract import DIGITS
from sohoa.records import FieldCrop, FieldKind


@pytest.fixture(scope="module")
def engine():
    return get_engine("tesseract")


def test_reads_printed_vietnamese_names_in_one_batch(engine) -> None:
    names = ["Nguyễn Thị Hồng Nhung", "Lò Văn Hùng", "Quàng Thị Mai", "Điêu Chính Tơi"]
    crops = [make_crop(f"f{i}", FieldKind.NAME, n) for i, n in enumerate(names)]
    crops.insert(2, make_crop("blank", FieldKind.NAME, "", empty=True))
    out = engine.recognize(crops, FieldKind.NAME)
    assert [r.field for r in out] == ["f0", "f1", "blank", "f2", "f3"]
    assert [r.text for r in out if r.field != "blank"] == names
    for r in out:
        assert r.engine == "tesseract" and 0.0 <= r.confidence <= 1.0
        assert r.alternatives[0].text == r.text
    assert all(r.confidence > 0.8 for r in out)
    assert (out[2].text, out[2].confidence) == ("", 1.0)


def test_small_crop_is_upscaled_and_read(engine) -> None:
    crop = make_crop("nksHoTen", FieldKind.NAME, "Trần Đức Thắng", size=13, pad=3)
    assert crop.image.shape[0] < 25
    assert engine.recognize([crop], FieldKind.NAME)[0].text == "Trần Đức Thắng"


def test_date_in_figures_and_in_words(engine) -> None:
    figures = make_crop("ngayDangKy", FieldKind.DATE, "23.05.2006")
    words = make_crop("nksNgaySinh", FieldKind.DATE, "ngày 5 tháng 3 năm 2006")
    a, b = engine.recognize([figures, words], FieldKind.DATE)
    assert a.text == "23.05.2006" and a.confidence > 0.8
    assert b.text == "ngày 5 tháng 3 năm 2006"
    # the digits-only pass is kept as a worse alternative for the date in words
    assert len(b.alternatives) == 2 and set(b.alternatives[1].text) <= set(DIGITS + "./-")
    assert b.alternatives[1].confidence < b.confidence


def test_digit_whitelist_for_numbers_and_years(engine) -> None:
    number = engine.recognize([make_crop("so", FieldKind.NUMBER, "Số 127")], FieldKind.NUMBER)[0]
    assert set(number.text.replace(" ", "")) <= set(DIGITS) and "127" in number.text
    figures, words = engine.recognize([make_crop("meNgaySinh", FieldKind.YEAR, "1975"),
                                       make_crop("chaNgaySinh", FieldKind.YEAR, "Sinh năm 1977")],
                                      FieldKind.YEAR)
    assert figures.text == "1975"
    assert words.text == "Sinh năm 1977"  # the text as written; the parser takes the year
    assert [a.text for a in words.alternatives][1:] == ["1977"]


def test_noise_lowers_confidence_and_blank_reads_empty(engine) -> None:
    clean = make_crop("nksNoiSinh", FieldKind.PLACE, "Điện Biên Phủ, Điện Biên")
    rng = np.random.default_rng(7)
    noisy_img = clean.image.copy()
    mask = rng.random(noisy_img.shape) < 0.25
    noisy_img[mask] = 255 - noisy_img[mask]
    noisy = FieldCrop(clean.field, clean.kind, noisy_img, clean.bbox)
    blank = FieldCrop("blank", clean.kind, np.full((40, 300), 255, np.uint8), clean.bbox)
    c, n, b = engine.recognize([clean, noisy, blank], FieldKind.PLACE)
    assert c.text == "Điện Biên Phủ, Điện Biên"
    assert n.confidence < c.confidence
    assert (b.text, b.confidence) == ("", 0.0)


def test_multi_line_text_uses_block_mode(engine) -> None:
    top = make_crop("ghiChu", FieldKind.TEXT, "Đăng ký lại").image
    bottom = make_crop("ghiChu", FieldKind.TEXT, "theo Quyết định").image
    width = max(top.shape[1], bottom.shape[1])
    img = np.full((top.shape[0] + bottom.shape[0], width), 255, np.uint8)
    img[: top.shape[0], : top.shape[1]] = top
    img[top.shape[0]:, : bottom.shape[1]] = bottom
    crop = FieldCrop("ghiChu", FieldKind.TEXT, img, (0, 0, width, img.shape[0]))
    assert engine.recognize([crop], FieldKind.TEXT)[0].text == "Đăng ký lại theo Quyết định"


def test_missing_program_or_language_is_unavailable() -> None:
    with pytest.raises(EngineUnavailable, match="tesseract program not found"):
        get_engine("tesseract", tesseract_cmd="/nonexistent/tesseract")
    with pytest.raises(EngineUnavailable, match="no language data.*xyz"):
        get_engine("tesseract", lang="vie+xyz")


def test_second_psm_adds_a_sorted_alternative(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine("tesseract", alt_psm=13)
    seen: list[tuple[int, str | None]] = []
    real_run = engine.run

    def spy(images, psm, whitelist=None):
        seen.append((psm, whitelist))
        return real_run(images, psm, whitelist)

    monkeypatch.setattr(engine, "run", spy)
    smudged = make_crop("nksHoTen", FieldKind.NAME, "Cầm Bá Thước", size=12, pad=2)
    (r,) = engine.recognize([smudged], FieldKind.NAME)
    assert seen == [(7, None), (13, None)]
    confs = [a.confidence for a in r.alternatives]
    assert 1 <= len(confs) <= 2 and confs == sorted(confs, reverse=True)
    assert r.alternatives[0].text == r.text and r.confidence == confs[0]


def test_faint_ink_on_dark_paper_is_read_and_noisy_blank_is_not(engine) -> None:
    rng = np.random.default_rng(3)
    line = make_crop("nksDanToc", FieldKind.ETHNICITY, "Thái").image.astype(float)
    paper = 185 + rng.normal(0, 6, line.shape)  # yellowed paper, scanner noise
    faint = np.clip(paper - (255 - line) * 0.35, 0, 255).astype(np.uint8)  # ~90 levels of ink
    blank = np.clip(185 + rng.normal(0, 6, line.shape), 0, 255).astype(np.uint8)
    crops = [FieldCrop("a", FieldKind.ETHNICITY, faint, (0, 0, 1, 1)),
             FieldCrop("b", FieldKind.ETHNICITY, blank, (0, 0, 1, 1))]
    a, b = engine.recognize(crops, FieldKind.ETHNICITY)
    assert a.text == "Thái"
    assert (b.text, b.confidence) == ("", 0.0)
