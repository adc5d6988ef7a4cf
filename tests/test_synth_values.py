"""Synthetic values, fonts, handwriting lines, bad pages and the ``sohoa synth`` command."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pytest
import typer
from PIL import ImageFont
from synth_helpers import page, parse_value_date
from typer.testing import CliRunner

from sohoa.records import FieldKind
from sohoa.synth import (
    BAD_KINDS,
    HandStyle,
    fonts_for_role,
    render_bad_page,
    render_handwriting,
    sample_value,
)
from sohoa.synth import lexicon as lx
from sohoa.synth.values import DATE_STYLES, official_ethnicity, write_date
from sohoa.template import load_template


def test_font_roles_are_disjoint_by_file_and_family():
    roles = {r: fonts_for_role(r) for r in ("train", "test", "bench")}
    families = {}
    for role, paths in roles.items():
        assert paths, role
        families[role] = {ImageFont.truetype(str(p), 20).getname()[0] for p in paths}
    assert not set(roles["train"]) & set(roles["test"])
    assert not set(roles["train"]) & set(roles["bench"])
    assert not set(roles["test"]) & set(roles["bench"])
    assert not families["train"] & families["test"]
    assert not families["train"] & families["bench"]
    assert not families["test"] & families["bench"]


@pytest.mark.parametrize("role", ["train", "test", "bench"])
def test_every_role_writes_all_vietnamese_letters(role):
    letters = "ăâđêôơưĂÂĐÊÔƠƯáàảãạấầẩẫậắằẳẵặếềểễệốồổỗộớờởỡợứừửữựíìỉĩịýỳỷỹỵ"
    for path in fonts_for_role(role):
        font = ImageFont.truetype(str(path), 40)
        blank = font.getmask("\uffff").getbbox()
        for ch in letters:
            assert font.getmask(ch).getbbox() not in (None, blank), f"{path.name} lacks {ch}"


def test_render_handwriting_is_deterministic_dark_on_light():
    style = HandStyle.sample(np.random.default_rng(1), font_role="train")
    a = render_handwriting("Lò Thị Ươi 12/3/2008", style, np.random.default_rng(2))
    b = render_handwriting("Lò Thị Ươi 12/3/2008", style, np.random.default_rng(2))
    assert a.dtype == np.uint8 and a.ndim == 2 and np.array_equal(a, b)
    assert a.shape[1] > 3 * a.shape[0]  # one line, wider than tall
    assert a.min() < 120 and np.median(a) > 200
    # ink reaches close to every edge: a tight crop with a small margin
    dark = np.argwhere(a < 150)
    assert dark[:, 0].min() < a.shape[0] * 0.3 and dark[:, 1].max() > a.shape[1] * 0.8


def test_styles_vary_strongly():
    rng = np.random.default_rng(3)
    styles = [HandStyle.sample(rng, "train") for _ in range(60)]
    assert len({s.font for s in styles}) == len(fonts_for_role("train"))
    assert np.ptp([s.size for s in styles]) > 10
    assert min(s.slant for s in styles) < 0 < max(s.slant for s in styles)
    assert len({s.stroke for s in styles}) >= 3


@pytest.mark.parametrize("style", DATE_STYLES)
def test_written_dates_hold_the_normalised_value(style):
    d = dt.date(2008, 3, 5)
    text = write_date(d, style)
    nums = [int(n) for n in re.findall(r"\d+", text)]
    assert nums[0] == 5 and nums[1] == 3 and nums[2] in (2008, 8)


def test_sample_value_kinds():
    rng = np.random.default_rng(4)
    tpl = load_template("ks-2006")
    seen: dict[str, set[str]] = {}
    for _ in range(150):
        for spec in tpl.fields:
            fv = sample_value(spec, rng, None)
            if fv is None:
                continue
            seen.setdefault(spec.name, set()).add(fv.value)
            if spec.kind == FieldKind.DATE:
                assert re.fullmatch(r"\d\d\.\d\d\.\d{4}", fv.value)
            if spec.kind == FieldKind.SEX:
                assert (fv.text, fv.value) in {("Nam", "1"), ("Nữ", "2")}
            if spec.kind == FieldKind.ETHNICITY:
                # written as the clerk says it, valued in the official 54-group spelling
                assert fv.text in lx.ETHNIC_WEIGHTS
                assert fv.value == official_ethnicity(fv.text)
            if spec.kind == FieldKind.NAME:  # no mis-encoded list entries, Đ not Ð
                assert lx.clean_name(fv.text) == fv.text, fv.text
    assert seen["nksQuocTich"] == {"Việt Nam"}
    assert seen["nksGioiTinh"] == {"1", "2"}
    assert len(seen["nksDanToc"]) >= 5
    families = {v.split()[0] for v in seen["nksHoTen"]}
    assert families & {"Lò", "Quàng", "Cầm", "Lường", "Tòng", "Vì", "Sùng", "Giàng", "Mùa"}
    assert len(seen["nycQuanHe"]) >= 4


def test_entry_values_are_consistent_and_numbered_across_pages():
    prev_so, prev_reg = 0, dt.date(1900, 1, 1)
    for page_no in (1, 2):
        for e in page("ks-2006", 31, page_no=page_no).truth["entries"]:
            f = e["fields"]
            so = int(f["so"]["text"])
            assert so == prev_so + 1
            reg = parse_value_date(f["ngayDangKy"]["value"])
            born = parse_value_date(f["nksNgaySinh"]["value"])
            assert prev_reg <= reg and born <= reg
            if "meNgaySinh" in f:
                assert 18 <= born.year - int(f["meNgaySinh"]["value"]) <= 46
            if "chaNgaySinh" in f:
                assert 18 <= born.year - int(f["chaNgaySinh"]["value"]) <= 51
            prev_so, prev_reg = so, reg


def test_death_and_marriage_facts_are_in_order():
    for e in page("kt-2006", 5).truth["entries"]:
        f = e["fields"]
        reg = parse_value_date(f["ngayDangKy"]["value"])
        died = parse_value_date(f["nktNgayChet"]["value"])
        born = f["nktNgaySinh"]["value"]
        born_year = int(born[-4:])
        assert died <= reg and born_year <= died.year
    for e in page("kh-2006", 5).truth["entries"]:
        f = e["fields"]
        reg = parse_value_date(f["ngayDangKy"]["value"])
        for who, age in (("chong", 20), ("vo", 18)):
            born = parse_value_date(f[f"{who}NgaySinh"]["value"])
            assert (reg - born).days >= age * 365


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_pages(kind):
    img = render_bad_page(kind, 3)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    assert np.array_equal(img, render_bad_page(kind, 3))
    grey = img.mean(axis=2)
    if kind == "blank":
        assert grey.std() < 10 and grey.mean() > 180
    if kind == "wall":
        assert grey.mean() < 200
    if kind == "torn":
        assert (grey < 60).mean() > 0.05  # the dark bed shows through the tear


def _cli() -> typer.Typer:
    from sohoa.cli import app  # the real app: its handler turns errors into one line

    return app


def test_cli_writes_images_and_truth(tmp_path):
    res = CliRunner().invoke(_cli(), ["synth", "--template", "ks-2006", "--pages", "2",
                                      "--seed", "9", "--out", str(tmp_path), "--format", "jpg",
                                      "--rotation", "90"])
    assert res.exit_code == 0, res.output
    import cv2

    for n in (1, 2):
        img = cv2.imread(str(tmp_path / f"page-000{n}.jpg"))
        truth = json.loads((tmp_path / f"page-000{n}.json").read_text("utf-8"))
        assert img.shape[1] == truth["width"] and img.shape[0] == truth["height"]
        assert truth["image"] == f"page-000{n}.jpg" and truth["rotation"] == 90
        assert img.shape[0] > img.shape[1]  # a landscape page scanned sideways
    t1 = json.loads((tmp_path / "page-0001.json").read_text("utf-8"))
    t2 = json.loads((tmp_path / "page-0002.json").read_text("utf-8"))
    last = int(t1["entries"][-1]["fields"]["so"]["text"])
    assert int(t2["entries"][0]["fields"]["so"]["text"]) == last + 1


def test_cli_pdf_opens_with_pymupdf(tmp_path):
    import pymupdf

    res = CliRunner().invoke(_cli(), ["synth", "--pages", "2", "--seed", "4", "--out",
                                      str(tmp_path), "--format", "pdf", "--dpi", "100"])
    assert res.exit_code == 0, res.output
    with pymupdf.open(tmp_path / "book.pdf") as doc:
        assert doc.page_count == 2
        pix = doc[1].get_pixmap(dpi=100)
        truth = json.loads((tmp_path / "page-0002.json").read_text("utf-8"))
        assert abs(pix.width - truth["width"]) <= 2 and abs(pix.height - truth["height"]) <= 2


def test_cli_rejects_bad_input(tmp_path):
    res = CliRunner().invoke(_cli(), ["synth", "--out", str(tmp_path), "--difficulty", "x"])
    assert res.exit_code == 2 and "difficulty" in res.output
    res = CliRunner().invoke(_cli(), ["synth", "--out", str(tmp_path), "--template", "nope"])
    assert res.exit_code == 2 and "unknown template" in res.output


def test_book_in_two_processes_matches_one(tmp_path):
    from sohoa.synth.book import write_book

    one = write_book("kt-2006", 2, 13, tmp_path / "one", "png", dpi=90)
    two = write_book("kt-2006", 2, 13, tmp_path / "two", "png", dpi=90, workers=2)
    assert [p.name for p in one] == [p.name for p in two]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_stacked_marks_are_drawn_clearly_in_seto():
    """SetoFont squashes the hat of ậ/ấ/ể...; the generator builds them from parts, so the
    letter with a hat and a tone is taller than the bare hat letter."""
    from sohoa.synth.hand import _glyph
    from sohoa.synth.marks import needs_compose

    seto = [p for p in fonts_for_role("test") if p.name.startswith("setofont")]
    if not seto:
        pytest.skip("fonts-seto not installed")
    font = seto[0]
    for ch, hat in (("ấ", "â"), ("ể", "ê"), ("ổ", "ô"), ("ẵ", "ă")):
        assert needs_compose(font, ch)
        built, hat_glyph = _glyph(font, 60, ch)[0], _glyph(font, 60, hat)[0]
        assert built.shape[0] >= hat_glyph.shape[0] + 5, ch
    dotted, hat_glyph = _glyph(font, 60, "ậ")[0], _glyph(font, 60, "â")[0]
    assert dotted.shape[0] > hat_glyph.shape[0]  # hat kept, dot added below


def test_printed_fonts_have_every_vietnamese_letter():
    from sohoa.synth.fonts import VIETNAMESE, print_families

    families = print_families()
    assert families
    for regular, bold in families:
        for path in (regular, bold):
            font = ImageFont.truetype(str(path), 30)
            missing = bytes(font.getmask("\uffff"))
            bad = [ch for ch in VIETNAMESE if bytes(font.getmask(ch)) == missing]
            assert not bad, f"{path.name} lacks {''.join(bad)}"
