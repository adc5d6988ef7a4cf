"""What each stage loses, for ``bench_read``: every true field of a page is put in the stage
that decides it, and its end-to-end edits are set against the oracle's (the same recogniser on
the generator's exact boxes) on the same field.

Stages, in the order a field meets them:

- ``entry missed``: its entry was not found (no predicted entry with IoU >= 0.5, as
  ``sohoa.evaluation.match_entries`` pairs them): every character is lost;
- ``entry rows``: the entry was found but its rows are wrong (its height overlaps the true
  entry's by less than 0.8: two rows taken as one, a row split, a row line misplaced), and
  this field's box shows it (its rows miss the field's band or take in another row, or it
  was called empty); the other fields of such an entry go to their own box's stage;
- ``wrong column``: the entry was found but the field's box lies mostly in another column
  (its x-range overlaps the true cell's by less than half: a column boundary far off);
- ``column edge``: the right column, but a boundary cuts into the cell or takes in a strip
  of the neighbour (x-overlap 0.5-0.85);
- ``header in box``: the box reaches up into the printed header (its top a fifth of a row or
  more above the first true entry's);
- ``row band``: the right column, but the rows of the crop (the cell's width over the ink's
  rows, plus the crop margin) hold < 0.7 of the field's true band, or more than 0.35 of
  them lie outside the field's cell (a wrapped line or one line of a two-field cell cut
  off, or the other field's line or the next row taken in);
- ``called empty``: the box is right but segmentation judged the written cell blank (its
  ink given to another field or row, or too faint), so nothing was read;
- ``box ok``: the box is right; what is left is recognition on the cut crop (crop margins,
  ruling removal, the line splitter) and the choice.

Per stage: fields, characters, end-to-end and oracle edits, the stage's loss in CER points of
the whole (end-to-end minus oracle edits, over all characters: the losses and the oracle's CER
add up to the end-to-end CER), and fields read at confidence >= 0.9 with how many are wrong
(the confidence as read, under the map in use when the run started: with ``--use-shipped``
the map reported on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sohoa.evaluation import FieldPair
from sohoa.evaluation.match import match_entries
from sohoa.evaluation.metrics import edit_distance
from sohoa.results import PageReading
from sohoa.template import Template

STAGES = ("entry missed", "entry rows", "wrong column", "column edge", "header in box",
          "row band", "called empty", "box ok")
MIN_X_WRONG = 0.5
MIN_X_EDGE = 0.85
MIN_Y_BAND = 0.7
MIN_ENTRY_Y = 0.8
HEADER_ROWS = 0.2
MAX_BEYOND = 0.35  # share of the crop's rows outside the field's true cell
CROP_MARGIN = 0.08  # preprocessing.crops.field_crops' margin


@dataclass(frozen=True)
class StageRow:
    """One field: its stage, characters, end-to-end and oracle edits, confidence, right."""

    stage: str
    kind: str
    chars: int
    e2e_edits: int
    oracle_edits: int
    confidence: float
    correct: bool


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    """Intersection over union of two intervals."""
    inter = max(0.0, min(a1, b1) - max(a0, b0))
    union = max(a1, b1) - min(a0, b0)
    return inter / union if union > 0 else 0.0


def _bbox(quad: Any) -> tuple[float, float, float, float]:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


def box_stage(pred_cell: Any, truth_field: dict[str, Any], header_y: float,
              row_h: float, pred_band: Any = None, margin: float = CROP_MARGIN,
              width: float | None = None) -> str:
    """The stage a field of a found entry falls in: ``pred_cell`` is its box's quad on the
    page (None: no box), ``truth_field`` the generator's field (``cell``, ``band_quad``),
    ``header_y`` the first true entry's top, ``row_h`` a true row's height. ``pred_band``:
    the quad the crop was cut from (``preprocessing.crops``: the cell's width over its ink's
    rows, plus ``margin`` of its height around): the rows are judged on what the recogniser
    saw (does it hold the field's whole band, and not much of another row or field) rather
    than on the cell. ``width``: the page image's; a box running past its side (a table cut
    at the image's edge) is judged on the part on the page, as the truth's cell is (the
    crop holds only that part, end to end and for the oracle alike)."""
    if pred_cell is None:
        return "wrong column"
    px0, py0, px1, py1 = _bbox(pred_cell)
    if width is not None and px1 > 0 and px0 < width:
        px0, px1 = max(0.0, px0), min(float(width), px1)
    tx0, ty0, tx1, ty1 = (float(v) for v in truth_field["cell"])
    ox = _overlap(px0, px1, tx0, tx1)
    if ox < MIN_X_WRONG:
        return "wrong column"
    if ox < MIN_X_EDGE:
        return "column edge"
    if py0 < header_y - HEADER_ROWS * row_h:
        return "header in box"
    bx0, by0, bx1, by1 = _bbox(truth_field.get("band_quad") or truth_field["cell"])
    if pred_band is not None:
        _, cy0, _, cy1 = _bbox(pred_band)
        m = margin * (cy1 - cy0)
        cy0, cy1 = cy0 - m, cy1 + m
        covered = max(0.0, min(cy1, by1) - max(cy0, by0)) / max(1.0, by1 - by0)
        # rows of the crop beyond the field's own cell: another row's or field's writing
        beyond = (max(0.0, ty0 - cy0) + max(0.0, cy1 - ty1)) / max(1.0, cy1 - cy0)
        if covered < MIN_Y_BAND or beyond > MAX_BEYOND:
            return "row band"
        return "box ok"
    # the true band lies inside the predicted box: the box takes in all of the field's rows
    covered = max(0.0, min(py1, by1) - max(py0, by0)) / max(1.0, by1 - by0)
    if covered < MIN_Y_BAND or _overlap(py0, py1, ty0, ty1) < MIN_Y_BAND:
        return "row band"
    return "box ok"


def _crop_quad(box: Any) -> Any:
    """The quad ``preprocessing.crops`` cuts a field from (cell width, ink rows)."""
    from preprocessing.crops import _band

    return _band(box)


def stage_rows(truth: dict[str, Any], layout: Any, e2e: dict[str, Any],
               oracle: dict[str, Any] | None, template: Template,
               judge: Any = FieldPair) -> list[StageRow]:
    """Every field of the page that is filled in truth or read by either reading, with its
    stage. ``layout``: the ``PageLayout`` the end-to-end reading was cut from; ``e2e`` and
    ``oracle``: ``read`` contract JSON (the oracle's entries in truth order)."""
    t_entries = truth.get("entries", [])
    if not t_entries:
        return []
    read = PageReading.from_json(e2e)
    by_index = {e.index: e for e in read.entries}
    lay = {e.index: e for e in getattr(layout, "entries", ())}
    orc = {e.index: e for e in PageReading.from_json(oracle).entries} if oracle else {}
    header_y = min(float(e["bbox"][1]) for e in t_entries)
    row_h = sorted(float(e["bbox"][3]) - float(e["bbox"][1]) for e in t_entries)[
        len(t_entries) // 2]
    pred = [{"bbox": list(e.bbox), "index": e.index} for e in read.entries]
    out = []
    for t_entry, p_entry in match_entries(t_entries, pred):
        p = by_index.get(p_entry["index"]) if p_entry else None
        boxes = lay.get(p_entry["index"]) if p_entry else None
        o = orc.get(int(t_entry["index"]))
        for spec in template.fields:
            t = t_entry.get("fields", {}).get(spec.name)
            r = p.fields.get(spec.name) if p else None
            r = r if r is not None and r.text else None
            ro = o.fields.get(spec.name) if o else None
            ro = ro if ro is not None and ro.text else None
            if not t and r is None and ro is None:
                continue
            truth_text = (t or {}).get("text", "")
            rows_off = p is not None and _overlap(p.bbox[1], p.bbox[3], t_entry["bbox"][1],
                                                  t_entry["bbox"][3]) < MIN_ENTRY_Y
            if p is None:
                stage = "entry missed"
            elif t:
                fb = boxes.fields.get(spec.name) if boxes else None
                cell = (fb.cell or fb.quad) if fb is not None else None
                band = _crop_quad(fb) if fb is not None and not fb.empty else None
                stage = box_stage(cell, t, header_y, row_h, band, width=truth.get("width"))
                # an entry whose rows are off loses only the fields whose boxes it spoilt
                if rows_off and stage in ("row band", "header in box") or (
                        rows_off and fb is not None and fb.empty):
                    stage = "entry rows"
                elif stage == "box ok" and fb is not None and fb.empty:
                    stage = "called empty"
            else:  # read where nothing is written: recognition's false alarm, or the rows
                stage = "entry rows" if rows_off else "box ok"
            pair = judge(field=spec.name, kind=str(spec.kind), truth=truth_text,
                         predicted=r.text if r else "",
                         truth_value=(t or {}).get("value", ""),
                         predicted_value=r.value if r else "",
                         confidence=r.confidence if r else 0.0, engine="")
            out.append(StageRow(
                stage, str(spec.kind), max(1, len(" ".join(truth_text.split()))),
                edit_distance(truth_text, r.text if r else ""),
                edit_distance(truth_text, ro.text if ro else ""),
                pair.confidence, bool(pair.correct)))
    return out


def stage_table(rows: list[StageRow]) -> dict[str, dict[str, Any]]:
    """Per stage: fields, chars, e2e and oracle CER on its fields, its loss in CER points of
    the whole, and its confident (>= 0.9) fields and mistakes; plus "all"."""
    total = sum(r.chars for r in rows) or 1
    out: dict[str, dict[str, Any]] = {}
    for stage in (*STAGES, "all"):
        sel = [r for r in rows if stage in ("all", r.stage)]
        if not sel:
            continue
        chars = sum(r.chars for r in sel)
        e, o = sum(r.e2e_edits for r in sel), sum(r.oracle_edits for r in sel)
        conf = [r for r in sel if r.confidence >= 0.9]
        out[stage] = {"fields": len(sel), "chars": chars, "e2e_cer": e / chars,
                      "oracle_cer": o / chars, "loss": (e - o) / total,
                      "share_chars": chars / total, "at_0.9": len(conf),
                      "wrong_at_0.9": sum(1 for r in conf if not r.correct)}
    return out


def stage_markdown(name: str, table: dict[str, dict[str, Any]]) -> list[str]:
    lines = [f"Per stage ({name}): what each stage loses, in CER points of the end-to-end CER "
             "(oracle CER + losses = end-to-end CER)", "",
             "| stage | fields | chars % | e2e CER % | oracle CER % | loss (CER points) | "
             "≥0.9 fields (map at start) | ≥0.9 wrong |", "|---|---|---|---|---|---|---|---|"]
    for stage, f in table.items():
        lines.append(
            f"| {stage} | {f['fields']} | {100 * f['share_chars']:.1f} | "
            f"{100 * f['e2e_cer']:.1f} | {100 * f['oracle_cer']:.1f} | "
            f"{100 * f['loss']:.1f} | {f['at_0.9']} | {f['wrong_at_0.9']} |")
    return lines
