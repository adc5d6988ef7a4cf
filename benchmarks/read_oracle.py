"""The oracle for ``bench_read``: the page cut on the generator's exact field boxes (truth
``band_quad``: the field's cell from wall to wall, over the rows its ink takes, which is what
``preprocessing.crops`` cuts from a perfect segmentation) instead of the boxes page analysis
found, then read and chosen exactly as the pipeline does. End-to-end CER over oracle
CER shows what segmentation loses."""

from __future__ import annotations

from typing import Any

import numpy as np

from sohoa.pipeline import Segmented
from sohoa.records import FieldCrop
from sohoa.results import EntryReading
from sohoa.template import Template


def oracle_segmented(image: np.ndarray, truth: dict[str, Any], template: Template,
                     name: str = "") -> Segmented:
    """A ``Segmented`` page whose entries are the truth's and whose crops are cut, as
    ``preprocessing.field_crops`` cuts them (deskewed, red faded, ruling removed, 8 % margin),
    from the truth's band quads; cells empty in truth are empty crops."""
    from preprocessing.clean import drop_red, remove_ruling
    from preprocessing.crops import warp_quad

    grey = drop_red(image)
    crops: list[FieldCrop] = []
    entries = []
    for e in truth["entries"]:
        i = int(e["index"])
        entries.append(EntryReading(i, tuple(e["bbox"]), tuple(tuple(int(v) for v in p)
                                                              for p in e["quad"]), {}))
        for spec in template.fields:
            f = e["fields"].get(spec.name)
            if f is None:
                crops.append(FieldCrop(spec.name, spec.kind, np.full((8, 8), 255, np.uint8),
                                       tuple(e["bbox"]), True, entry=i))
            else:
                quad = tuple((float(x), float(y)) for x, y in f["band_quad"])
                img = remove_ruling(warp_quad(grey, quad, 0.08))
                crops.append(FieldCrop(spec.name, spec.kind, img, tuple(f["cell"]), False,
                                       entry=i))
    return Segmented(name, template.id, float(truth.get("angle", 0.0)),
                     int(truth.get("rotation", 0)), "ok", tuple(entries), tuple(crops))
