"""Generated pages, their segmentation and scripted engines for the read/calibration tests."""

from __future__ import annotations

from functools import cache

from ocr.fake import FakeEngine
from sohoa.fields.calibration_fit import read_cells
from sohoa.records import FieldCrop, FieldKind

# what the kind engine "reads" in every non-empty cell of a kind
KIND_TEXT = {
    FieldKind.NAME: "Lò Văn Hùng", FieldKind.DATE: "05/03/2008", FieldKind.YEAR: "1985",
    FieldKind.SEX: "Nam", FieldKind.ETHNICITY: "Thái", FieldKind.NATIONALITY: "Việt Nam",
    FieldKind.PLACE: "Chiềng Cơi, Sơn La", FieldKind.NUMBER: "12",
    FieldKind.RELATION: "Cha", FieldKind.TEXT: "ghi chú",
}


@cache
def segmented_page(template: str = "ks-2006", seed: int = 424242, difficulty: str = "easy"):
    """(SynthPage, Segmented) of one generated page (test fonts), segmented once per process."""
    from sohoa.pipeline import segment_image
    from sohoa.synth import generate_page
    from sohoa.template import load_template

    page = generate_page(load_template(template), seed, difficulty, font_role="test")
    return page, segment_image(page.image, load_template(template), name=f"p{seed}")


def truth_text(truth: dict, crop: FieldCrop) -> str:
    """What is written in the cell ``crop`` cuts out: the truth field of the same name whose
    ink box centre lies inside the crop's box ('' when none)."""
    x0, y0, x1, y1 = crop.bbox
    for entry in truth["entries"]:
        f = entry["fields"].get(crop.field)
        if not f or "bbox" not in f:
            continue
        bx0, by0, bx1, by1 = f["bbox"]
        cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            return f["text"]
    return ""


class KindEngine(FakeEngine):
    """The fake engine reading one fixed text per kind (for the CLI contract test)."""

    def __init__(self, *, device: str = "auto") -> None:
        super().__init__(device=device, script=lambda crop, i: (KIND_TEXT[crop.kind], 0.8))


def read_page(seed: int, script):
    """Engine n-best per crop, built as the pipeline and the benchmark build it."""
    page, seg = segmented_page(seed=seed)
    assert seg.status == "ok", seg.status
    truth = page.truth
    year = truth["book"]["year"]
    seen: set[tuple] = set()

    def first_line(crop, i):
        """A wrapped value is read line by line: the first line gets the whole text."""
        key = (crop.field, crop.bbox)
        if key in seen:
            return None
        seen.add(key)
        return script(crop, truth_text(truth, crop))

    cells = read_cells(FakeEngine(script=first_line), seg.crops)
    return page, seg, cells, year
