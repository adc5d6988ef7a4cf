"""One recognition path: crops know their entry; ``Recognizer`` has a raw step and a choose
step that ``read``, ``process`` (also when one model reads the crops of several pages) and
calibration fitting all call; evaluation reads typed ``PageReading`` records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ocr.fake import FakeEngine
from sohoa.batch import PageTask, TaskResult
from sohoa.evaluation import pairs_from_page
from sohoa.fields.calibration_fit import choose_cells, read_cells
from sohoa.imageio import load_image
from sohoa.pipeline import read_image, segment_image
from sohoa.process import _CoordinatorModel
from sohoa.recognize import EnginePlan, Recognizer
from sohoa.records import Book, FieldKind, RegisterType
from sohoa.results import PageReading
from sohoa.template import Template, load_template

TPL = load_template("ks-2006")


def _script(crop, i):
    """Two-digit years on dates (resolved by the reference year), the field name elsewhere."""
    if crop.kind == FieldKind.DATE:
        return ("12/3/06", 0.9, ["12/8/06"])
    return (crop.field, 0.8)


def _recognizer() -> Recognizer:
    return Recognizer.of_engine(FakeEngine(script=_script))


@pytest.fixture(scope="module")
def page(demo_book):
    return load_image(demo_book.scans[0])


def test_every_crop_knows_its_entry(page):
    seg = segment_image(page, TPL)
    assert seg.crops and {c.entry for c in seg.crops} == {e.index for e in seg.entries}
    boxes = {e.index: e.field_boxes for e in seg.entries}
    assert all(boxes[c.entry][c.field] == c.bbox for c in seg.crops)


def test_read_is_the_choose_step_over_the_raw_step(page):
    rec = _recognizer()
    crops = segment_image(page, TPL).crops
    cells = rec.raw(crops)
    assert [c.entry for c in cells] == [c.entry for c in crops]
    assert rec.read(crops, ref_year=2008) == rec.choose(cells, ref_year=2008)
    # calibration fitting reads and chooses through the very same steps
    engine = FakeEngine(script=_script)
    assert choose_cells(read_cells(engine, crops), 2008) == rec.read(crops, ref_year=2008)


def test_the_coordinator_reads_each_page_as_read_image_does(page):
    """Workers segment, one model reads the crops of two pages at once: each page comes out as
    ``read_image`` reads it alone, with its own book's reference year."""
    rec = _recognizer()
    model = _CoordinatorModel(EnginePlan(default="fake"), min_crops=10**6)
    model.recognizer = rec
    seg = segment_image(page, TPL, keep_crops=True)
    tasks = [PageTask(1, "a", b"", TPL.id, 2008), PageTask(2, "b", b"", TPL.id, 1995)]
    out = list(model.feed(TaskResult(t, None, segmented=seg) for t in tasks))
    assert [r.task.page_id for r in out] == [1, 2]
    for res, year in zip(out, (2008, 1995), strict=True):
        alone = read_image(page, TPL, rec, ref_year=year, keep_crops=True)
        assert res.work.reading == alone.reading
        assert all(np.array_equal(a, b) for a, b in zip(res.work.entry_crops,
                                                        alone.entry_crops, strict=True))
    dates = [{r.value for e in res.work.reading.entries for r in e.fields.values()
              if r.field == "ngayDangKy"} for res in out]
    assert dates[0] != dates[1]  # the year is the page's own, not one for the whole batch


def test_evaluation_reads_typed_pages_and_their_json_alike(page, demo_book):
    truth = json.loads(demo_book.scans[0].with_suffix(".json").read_text("utf-8"))
    reading = read_image(page, TPL, _recognizer(), ref_year=2008).reading
    back = PageReading.from_json(json.loads(json.dumps(reading.to_json())))
    assert back.to_json() == reading.to_json()
    typed = pairs_from_page(truth, reading, TPL, engine="fake")
    via_json = pairs_from_page(truth, reading.to_json(), TPL, engine="fake")
    assert len(typed) > 50 and len(typed) == len(via_json)
    assert [(p.field, p.truth, p.predicted, p.predicted_value) for p in typed] == \
        [(p.field, p.truth, p.predicted, p.predicted_value) for p in via_json]
    assert all(abs(a.confidence - b.confidence) < 1e-4 for a, b in zip(typed, via_json,
                                                                       strict=True))
    assert reading.engines() == {"fake"}


def test_template_for_book():
    own = Book(None, RegisterType.KS, 2008, "1", "X", template="ks-2006")
    typed = Book(None, RegisterType.KT, 2008, "1", "X")
    assert Template.for_book(own).id == "ks-2006"
    assert Template.for_book(typed).register_type == RegisterType.KT
