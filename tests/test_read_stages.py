"""bench_read's per-stage breakdown: each true field goes to the stage that decided it, and
the stages' losses plus the oracle's CER add up to the end-to-end CER."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from preprocessing.layout import EntryLayout, FieldBox, PageLayout
from sohoa.template import load_template

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from read_stages import box_stage, stage_rows, stage_table  # noqa: E402


def quad(x0, y0, x1, y1):
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def truth_field(text, x0, y0, x1, y1, band=None):
    b = band or (x0, y0 + 10, x1, y1 - 10)
    return {"text": text, "value": text, "cell": [x0, y0, x1, y1],
            "band_quad": [list(p) for p in quad(*b)]}


@pytest.mark.parametrize(("pred", "stage"), [
    (quad(100, 100, 200, 200), "box ok"),
    (quad(200, 100, 300, 200), "wrong column"),  # the neighbour's cell
    (quad(130, 100, 230, 200), "column edge"),  # a boundary 30 % into the cell
    (quad(100, 40, 200, 200), "header in box"),  # reaches 60 px (>0.2 row) above the table
    (quad(100, 100, 200, 140), "row band"),  # only the top of the band
    (None, "wrong column"),
])
def test_box_stage(pred, stage):
    t = truth_field("Lò Văn A", 100, 100, 200, 200)
    assert box_stage(pred, t, header_y=100, row_h=100) == stage


def test_stage_rows_add_up_to_end_to_end():
    tpl = load_template("ks-2006")
    names = [f.name for f in tpl.fields][:3]
    truth = {"entries": [
        {"index": 0, "bbox": [0, 100, 600, 200],
         "fields": {names[0]: truth_field("12", 0, 100, 200, 200),
                    names[1]: truth_field("Lò Văn An", 200, 100, 400, 200)}},
        {"index": 1, "bbox": [0, 200, 600, 300],
         "fields": {names[0]: truth_field("13", 0, 200, 200, 300)}},
    ]}
    # found: entry 0 only; its second field's box lies in the third column
    fields = {names[0]: FieldBox((0, 100, 200, 200), quad(0, 100, 200, 200), False,
                                 quad(0, 100, 200, 200)),
              names[1]: FieldBox((400, 100, 600, 200), quad(400, 100, 600, 200), False,
                                 quad(400, 100, 600, 200))}
    layout = PageLayout("ok", 0.0, 0, 600, 400,
                        entries=(EntryLayout(0, (0, 100, 600, 200), quad(0, 100, 600, 200),
                                             fields),))
    e2e = {"page": "p", "template": tpl.id, "angle": 0, "rotation": 0, "status": "ok",
           "entries": [{"index": 0, "bbox": [0, 100, 600, 200], "fields": {
               names[0]: {"text": "12", "value": "12", "confidence": 0.95},
               names[1]: {"text": "Hà Nội", "value": "Hà Nội", "confidence": 0.95}}}]}
    oracle = {"page": "p", "template": tpl.id, "angle": 0, "rotation": 0, "status": "ok",
              "entries": [
                  {"index": 0, "bbox": [0, 100, 600, 200], "fields": {
                      names[0]: {"text": "12", "value": "12", "confidence": 0.9},
                      names[1]: {"text": "Lò Văn Ân", "value": "Lò Văn Ân",
                                 "confidence": 0.5}}},
                  {"index": 1, "bbox": [0, 200, 600, 300], "fields": {
                      names[0]: {"text": "13", "value": "13", "confidence": 0.9}}}]}
    rows = stage_rows(truth, layout, e2e, oracle, tpl)
    assert sorted((r.stage, r.e2e_edits, r.oracle_edits) for r in rows) == [
        ("box ok", 0, 0), ("entry missed", 2, 0), ("wrong column", 8, 1)]
    table = stage_table(rows)
    total = table["all"]
    assert total["chars"] == 2 + 9 + 2
    losses = sum(f["loss"] for s, f in table.items() if s != "all")
    assert losses + total["oracle_cer"] == pytest.approx(total["e2e_cer"])
    assert table["wrong column"]["at_0.9"] == 1 and table["wrong column"]["wrong_at_0.9"] == 1


@pytest.mark.parametrize(("band", "stage"), [
    (quad(100, 112, 200, 188), "box ok"),  # the crop holds the field's whole band
    (quad(100, 110, 200, 130), "row band"),  # its ink box took only the first line
    (quad(100, 112, 200, 260), "row band"),  # and the next row's writing
])
def test_box_stage_judges_rows_on_the_crop(band, stage):
    t = truth_field("Bản Pá Nong, Mường Tè", 100, 100, 200, 200)
    assert box_stage(quad(100, 100, 200, 200), t, header_y=100, row_h=100,
                     pred_band=band) == stage


def _one_field_page(tpl, field_box, entry_bbox):
    name = tpl.fields[1].name
    truth = {"entries": [{"index": 0, "bbox": [0, 100, 600, 200],
                          "fields": {name: truth_field("Lò Văn An", 200, 100, 400, 200)}}]}
    layout = PageLayout("ok", 0.0, 0, 600, 400, entries=(
        EntryLayout(0, entry_bbox, quad(*entry_bbox), {name: field_box}),))
    e2e = {"page": "p", "template": tpl.id, "angle": 0, "rotation": 0, "status": "ok",
           "entries": [{"index": 0, "bbox": list(entry_bbox), "fields": {}}]}
    oracle = {"page": "p", "template": tpl.id, "angle": 0, "rotation": 0, "status": "ok",
              "entries": [{"index": 0, "bbox": [0, 100, 600, 200], "fields": {
                  name: {"text": "Lò Văn An", "value": "Lò Văn An", "confidence": 0.9}}}]}
    return stage_rows(truth, layout, e2e, oracle, tpl)


def test_a_written_cell_called_empty_is_its_own_stage():
    tpl = load_template("ks-2006")
    box = FieldBox((200, 100, 400, 200), quad(200, 100, 400, 200), True,
                   quad(200, 100, 400, 200))
    (row,) = _one_field_page(tpl, box, (0, 100, 600, 200))
    assert row.stage == "called empty" and row.e2e_edits == 9 and row.oracle_edits == 0


def test_entry_with_rows_off_charges_only_the_fields_whose_box_it_spoilt():
    tpl = load_template("ks-2006")
    # the entry took the next row too, but this field's box is its own cell's ink
    good = FieldBox((210, 112, 390, 188), quad(210, 112, 390, 188), False,
                    quad(200, 100, 400, 300))
    (row,) = _one_field_page(tpl, good, (0, 100, 600, 300))
    assert row.stage == "box ok"
    spoilt = FieldBox((210, 112, 390, 280), quad(210, 112, 390, 280), False,
                      quad(200, 100, 400, 300))
    (row,) = _one_field_page(tpl, spoilt, (0, 100, 600, 300))
    assert row.stage == "entry rows"


def test_a_box_past_the_image_edge_is_judged_on_the_page():
    # a table cut at the image's left edge: the truth's cell starts at 0, the box at -60
    # (the column's line lies off the image); the crop holds the same visible part
    t = truth_field("Lò Văn A", 0, 100, 150, 200)
    assert box_stage(quad(-60, 100, 150, 200), t, header_y=100, row_h=100) == "column edge"
    assert box_stage(quad(-60, 100, 150, 200), t, header_y=100, row_h=100,
                     width=1000) == "box ok"
    t = truth_field("Lò Văn A", 900, 100, 1000, 200)  # cut at the right
    assert box_stage(quad(900, 100, 1100, 200), t, header_y=100, row_h=100,
                     width=1000) == "box ok"
    # a box that is a column off on the page stays wrong
    assert box_stage(quad(-60, 100, 40, 200), truth_field("x", 40, 100, 150, 200),
                     header_y=100, row_h=100, width=1000) == "wrong column"
