"""Turn a grey field crop into the network's input: fixed height, ink bright on black, [0, 1].

Training and inference call the same function so the model never sees a different scaling.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MAX_WIDTH_FACTOR = 28  # widest input is height * this (a long place name)
# whole line images too: a line of 70-100 characters written wide reaches it and is squeezed;
# 40 for whole lines was tried (rules 52 and 54 of rules-s32.md): held-out lines of two
# addresses 18.02 -> 12.20 %, but single address lines 7.32 -> 7.54 % (interval wholly above 0)
DESLANT = True  # strongly slanted lines are sheared upright (models/deslant.py)
TRIM = True  # paper above and below the writing is cut off before scaling (trim_rows)
TRIM_MARGIN = 0.1  # paper kept above and below the ink, x the ink's height (+ 1 px)
TRIM_ROW_INK = 0.003  # a row holds writing: ink in more than this share of the width (>= 2 px)
RULING_OUT = True  # the vertical lines of squared paper (an "ô ly" grid) are taken out of
# whole line images before anything weighs the ink (remove_ruling); never out of the
# pipeline's field crops: register cells are not written on squared paper, and in a tight
# cell a border and two tall strokes ("1", "/", "T") can stand like a grid (the demo's
# "Thào Văn Chính" lost its "Ch" to it)
EDGE_RULES_OUT = True  # vertical lines framing a whole line image taken out too
# (remove_edge_rules: a margin rule, a box's sides; rules-s35.md rule 67b)
RULE_FAINT = 12  # grey levels under the paper that may be ruling (ruled paper is often faint)
RULE_SPAN_V = 0.9  # a vertical ruling line runs over at least this share of the crop's height
RULE_GRID = 3  # vertical lines, evenly spaced, that make a grid (fewer are left as they are)
EVEN_LIGHT = True  # uneven light over a crop (a shadow, a light gradient) is evened out first
LIGHT_SPREAD = 0.2  # the paper's level across the crop's quarters varies more: evened out
# whole line images (prepare(whole_line=True)) are always evened out, with a background
# closed over LINE_BG x their height: a line photographed at an angle comes in a tall box of
# paper, where light falling off from top to bottom (no quarter along the line differs) made
# the ink threshold take paper for ink, so the line was neither turned level nor cut from
# the paper (docs/htr.md, session 20). Field crops: only for uneven light along the line.
LINE_LIGHT = True
LINE_BG = 0.4
# whole line images whose edges are soft (the steepest 0.5 % of the grey's slope, at the
# network's height, under this share of the ink's contrast a pixel: an out-of-focus photo)
# are unsharp-masked by this amount before reading: (threshold, amount), or None (session 20:
# tuning writers' lines blurred by 1.5 px 21.25 -> 19.57 %, sharp lines unchanged)
LINE_SHARPEN: tuple[float, float] | None = (0.40, 2.0)
DARK_EDGES = True  # a dark surround at a crop's edge (the desk beyond a photographed
# paper) lit up to the paper's grey first (clear_dark_edges; rules-s35.md rule 66)
LEVEL_LINE = True  # a line photographed at an angle is turned level first (level_line)
LINE_ANGLES = 8.0  # degrees either way the line's angle is looked for
LINE_MIN_ANGLE = 1.5  # degrees: a line tilted less is passed as it is
LINE_GAIN = 1.1  # the level row profile must be this much sharper than the crop's own
TRIM_EDGE_PIECES = False  # a neighbouring line cut by the crop's edge is cut off too: for
# whole line images only (labelled lines, ``whole_line=True``); the pipeline's field crops
# come from the line splitter, which folds such pieces in, and a short second line of a cell
# the splitter left whole looks like one (default layout: 2.1 -> 2.3 % CER with it)
# a bent whole line image straightened word by word (``align_words``, rule 44 of
# rules-s30.md): runs of inked columns (gaps under WORD_GAP x the letters' median height
# joined) each moved up or down whole so that their core band's middle meets a straight line
# through them, when some word lies off it by more than WORD_MIN x the core's height. On since
# session 30 (rule 45: held-out bent lines 12.41 -> 10.69 %, straight lines 7.45 -> 6.98 %,
# pooled over two draws); it replaced session 29's column-wise straightening along a cubic
WORD_ALIGN = True
WORD_GAP = 0.5
WORD_MIN = 0.15
WORD_MINOR = 0.3  # a run with less ink than this x a median word's is punctuation: no anchor
# the "under 4 times as wide as tall: not a line" guard looks at the writing's extent (the
# rows and columns with any ink) instead of the crop's (rule 48 of
# rules-s31.md): a line cut with much paper above and below is aligned as a tight one is
# (held-out loosely cut lines 26.70 -> 22.71 % pooled, tight ones 9.23 -> 9.17 %)
WORD_GUARD_INK = True
EDGE_GAP = 2  # empty rows (more than) between a piece at the edge and the line
EDGE_PIECE = 0.4  # a piece at the edge at least this x the line's core tall is no mark
EDGE_RULE_WIDTH = 0.8  # ... nor one with a row inked over this share of the width (a rule)


def _p90(img: np.ndarray) -> float:
    """The 90th percentile of a grey uint8 array, from its histogram."""
    import cv2

    cum = np.cumsum(cv2.calcHist([img], [0], None, [256], [0, 256]).ravel())
    return float(np.searchsorted(cum, 0.9 * cum[-1]))


def clear_dark_edges(img: np.ndarray) -> np.ndarray:
    """A grey crop with the dark surround at its edge lit up to the paper's grey: the desk,
    a scanner's lid or a table beyond the paper that a photographed line or a loosely cut
    crop takes in, which the reader would take for ink. Dark is under ``EDGE_DARK`` of the
    paper's grey (its 90th percentile); the surround is what stays dark after an opening
    with a square wider than pen strokes (an eighth of the shorter side, at least 5 px),
    runs along at least ``EDGE_RUN`` of one side, reaches at least ``EDGE_DEPTH`` into the
    crop (a ruling line along a cell's edge is thinner) and holds next to no writing
    (``EDGE_INK``: paper in a deep shadow is as dark, with strokes darker still;
    ``even_light`` evens that). The region (grown by half the square) is lit by its own
    level up to the paper's: the surround becomes paper, a stray stroke in it keeps its
    contrast. The same array when no side is that dark."""
    import cv2

    h, w = img.shape
    if h < 8 or w < 16:
        return img
    paper = _p90(img)
    dark = img < EDGE_DARK * paper
    sides = (dark[0], dark[-1], dark[:, 0], dark[:, -1])
    if paper < 60 or max(float(s.mean()) for s in sides) < EDGE_RUN:
        return img
    k = max(5, min(h, w) // 8) | 1  # odd: the opening keeps an edge region in place
    # nothing beyond the edge: a thin line along it is opened away like any other
    solid = cv2.morphologyEx(dark.astype(np.uint8), cv2.MORPH_OPEN, np.ones((k, k), np.uint8),
                             borderType=cv2.BORDER_CONSTANT, borderValue=0)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=4)
    keep = np.zeros(n, bool)
    level = np.zeros(n, np.float32)  # each region's median grey
    for i in range(1, n):
        bw, bh = stats[i, 2:4]
        runs = ((labels[0] == i).mean(), (labels[-1] == i).mean(),
                (labels[:, 0] == i).mean(), (labels[:, -1] == i).mean())
        depth = (bh / h, bh / h, bw / w, bw / w)  # into the crop from that side
        if not any(r >= EDGE_RUN and d >= EDGE_DEPTH for r, d in zip(runs, depth, strict=True)):
            continue
        # a surround holds no writing; paper in a deep shadow does (strokes darker still)
        vals = img[labels == i]
        level[i] = float(np.median(vals))
        keep[i] = float((vals < 0.6 * level[i]).mean()) < EDGE_INK
    if not keep.any():
        return img
    grow = np.ones((k // 2 * 2 + 1,) * 2, np.uint8)
    mask = cv2.dilate(keep[labels].astype(np.uint8), grow) > 0
    # lit up to the paper's grey by its own level (its level under each pixel, grown with
    # it): a uniform surround becomes paper, a stroke darker than it keeps its contrast
    under = cv2.dilate(np.where(keep[labels], level[labels], 0).astype(np.float32), grow)
    out = img.copy()
    lit = img[mask].astype(np.float32) * (paper / np.maximum(under[mask], 1.0))
    out[mask] = np.minimum(lit, paper).astype(np.uint8)
    return out


EDGE_DARK = 0.35  # a surround is darker than this share of the paper's grey (a desk, a
# table: 0.1-0.3 in photos; a shadow deep enough to reach it leaves little ink to read)
EDGE_RUN = 0.3  # share of a side the dark surround runs along (clear_dark_edges)
EDGE_DEPTH = 0.15  # share of the crop's size it reaches in from that side
EDGE_INK = 0.02  # most share of its pixels darker than 0.6 x its median (else it is paper
# in a shadow, with writing in it)


def even_light(img: np.ndarray, whole_line: bool = False) -> np.ndarray:
    """A grey crop whose paper is lit unevenly (a shadow, a light falling off across a
    photographed line) divided by its own background, so the paper is one level and the
    ink keeps its contrast everywhere; the same array when the paper's level (90th
    percentile) differs by at most ``LIGHT_SPREAD`` between the crop's four quarters
    along the line. The background: :func:`_background`. htr-v4 greedy on
    training-side stroke writers: a shadow darkening 40 % of the line to 0.4 of the light
    33.2 % CER, evened 16.2 % (as drawn 16.5 %). ``whole_line``: always evened, over a
    background closed with ``LINE_BG`` x the height (light may fall off across the crop's
    height too)."""
    h, w = img.shape
    if h < 8 or w < 16:
        return img
    quarters = [_p90(img[:, i * w // 4:(i + 1) * w // 4]) for i in range(4)]
    top = max(quarters)
    if top <= 0 or (not whole_line and (top - min(quarters)) / top <= LIGHT_SPREAD):
        return img
    out = img.astype(np.float32) / np.maximum(
        _background(img, LINE_BG if whole_line else 0.8), 1.0) * top
    return np.clip(out, 0, 255).astype(np.uint8)


def _background(img: np.ndarray, size: float = 0.8) -> np.ndarray:
    """The paper's grey under a crop's writing (float32, the crop's shape): the crop closed
    with a square of ``size`` x its height (strokes and ruling are thinner), blurred, on a
    copy about 16 px tall."""
    import cv2

    h, w = img.shape
    f = max(1, h // 16)  # the background is smooth: found on a copy f times smaller
    small = cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    k = max(3, int(size * h / f)) | 1
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE,
                          cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.GaussianBlur(bg, (k, k), 0)
    return cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)


def remove_ruling(img: np.ndarray) -> np.ndarray:
    """A grey crop with the vertical lines of squared paper (an "ô ly" grid) taken out: lines
    running over ``RULE_SPAN_V`` of its height, thin (a median width of at most
    ``max(6, h / 10)`` px), at least ``RULE_FAINT`` grey levels under the paper (its
    :func:`_background`) and at least ``RULE_GRID`` of them evenly spaced
    (:func:`_grid_lines`). Each line found is fitted as a straight line over the crop; its
    pixels become the lightest grey a few pixels across (the paper beside it), except in rows
    where it is wider than along most of it (a stroke written on it), writing darker than
    the line and the line's pixels that writing reaches from beside it (a stroke crossing it
    stays whole). The same array when it finds none. Read as
    they are, such lines become "l", "1" or "|". Horizontal lines are left: taken out the
    same way they cost the letters sitting on them more than they cost as they are
    (docs/htr.md "Ruled and squared paper", session 19)."""
    h, w = img.shape
    if h < 12 or w < 24:
        return img
    return _rules_out(img, _background(img), _grid_lines)


def _rules_out(img: np.ndarray, paper: np.ndarray,
               choose: Callable[[list, int, int, np.ndarray], list],
               span: float = RULE_SPAN_V, band: int = 0) -> np.ndarray:
    """:func:`remove_ruling`'s finder and eraser of vertical lines over ``span`` of the
    height, ``paper`` the crop's background grey; ``choose(found, h, w, faint)`` picks the
    lines to take out of those found (x at mid-height, mask, grey). ``band`` > 0: lines are
    looked for only in the columns within ``band`` px of the left and right edges that hold
    ink over ``span`` of their height (writing beside a frame never merges with it)."""
    import cv2

    h, w = img.shape
    # ink or ruling: what is RULE_FAINT under the paper once the sensor's noise is smoothed
    faint = (cv2.GaussianBlur(img, (0, 0), 0.8).astype(np.float32)
             < paper - RULE_FAINT).astype(np.uint8)
    looked = faint
    if band > 0:  # columns near an edge with ink in ``span`` of their rows: no letter's
        full = faint.mean(axis=0) >= span  # stroke fills a column so (it stops short)
        full[band: w - band] = False
        looked = faint * full[None, :].astype(np.uint8)
    opened = cv2.morphologyEx(looked, cv2.MORPH_OPEN,
                              cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(12, h // 2))))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    # ink off the grid's horizontal lines, for the width of a vertical line in each row
    across = faint & ~cv2.morphologyEx(faint, cv2.MORPH_OPEN, cv2.getStructuringElement(
        cv2.MORPH_RECT, (max(12, h // 2), 1)))
    sums = np.zeros((h, w + 1), np.int32)  # per row, ink so far: widths in a window at once
    np.cumsum(across, axis=1, out=sums[:, 1:])
    found = []  # (x at mid-height, the line's mask, its grey)
    for i in range(1, n):
        x, y, cw, ch = (int(v) for v in stats[i, :4])
        if ch < span * h:
            continue
        own = lab[y:y + ch, x:x + cw] == i
        # thin along most of its length (writing merged into it here and there is not)
        thick = float(np.median(np.count_nonzero(own, axis=1)))
        if thick > max(6.0, 0.1 * h):
            continue
        ys, xs = np.nonzero(own)
        slope, icept = np.polyfit(ys + y, xs + x, 1)
        line = np.zeros((h, w), np.uint8)
        cv2.line(line, (int(round(icept)), 0), (int(round(icept + slope * (h - 1))), h - 1), 1,
                 int(round(thick)) + 2)
        # rows where the line is wider than along most of it hold writing on it: kept
        reach = int(thick) + 3
        xc = np.rint(icept + slope * np.arange(h)).astype(np.intp)
        lo, hi = np.clip(xc - reach, 0, w), np.clip(xc + reach + 1, 0, w)
        rows = np.arange(h)
        line[(sums[rows, hi] - sums[rows, lo]) > thick + 1.5] = 0
        # the line's grey: its core (darkest pixel across it), the median along it
        core = np.where(own, img[y:y + ch, x:x + cw], 255).min(axis=1)
        found.append((float(icept + slope * h / 2), line, float(np.median(core))))
    ruled = np.zeros((h, w), np.uint8)
    tones = np.zeros((h, w), np.float32)
    for _, line, tone in choose(found, h, w, faint):
        on = line.astype(bool)
        ruled |= line
        tones[on] = np.maximum(tones[on], tone)
    if not ruled.any():
        return img
    on = ruled.astype(bool)
    # kept: writing darker than the line's core by 25 grey levels, and the line's pixels that
    # writing reaches from beside the line unless they are nearly paper
    darkest = float(np.percentile(img, 1))
    writing = ((img < paper - 0.5 * np.maximum(paper - darkest, 40.0)) & ~on).astype(np.uint8)
    near = cv2.dilate(writing, np.ones((1, 5), np.uint8)).astype(bool)
    keep = (img < tones - 25) | (near & (img < (tones + paper) / 2))
    erase = on & ~keep
    fill = cv2.dilate(img, np.ones((1, 7), np.uint8))
    out = img.copy()
    out[erase] = fill[erase]
    return out


def remove_edge_rules(img: np.ndarray) -> np.ndarray:
    """A whole line image with the vertical lines framing it taken out: a notebook's margin
    rule beside the line, the sides of a printed box around it (cut from a form). The lines
    of :func:`remove_ruling`'s finder (thin, straight, faint or dark, writing crossing them
    kept) over ``EDGE_RULE_SPAN`` of the crop's height, within :func:`_edge_band` of its
    left or right edge with no ink between them and that edge (:func:`_edge_lines`).
    Horizontal sides are left: erased the same way, the pieces left beside the writing read
    worse than the whole side (rules-s35.md rule 67). The same array when there is none."""
    h, w = img.shape
    if h < 12 or w < 24:
        return img
    return _rules_out(img, _background(img), _edge_lines, EDGE_RULE_SPAN, _edge_band(w, h))


def _line_rules_out(img: np.ndarray) -> np.ndarray:
    """:func:`remove_ruling` then (``EDGE_RULES_OUT``) :func:`remove_edge_rules`, as a whole
    line is read: the paper's background found once when the grid step left the crop as it
    was (the same result as the two calls, one background less)."""
    h, w = img.shape
    if h < 12 or w < 24:
        return img
    paper = _background(img)
    out = _rules_out(img, paper, _grid_lines)
    if not EDGE_RULES_OUT:
        return out
    return _rules_out(out, paper if out is img else _background(out), _edge_lines,
                      EDGE_RULE_SPAN, _edge_band(w, h))


def _edge_band(size: int, other: int) -> int:
    """How far in from an edge (px) a frame line is looked for, across a side of ``size``
    px: ``EDGE_RULE_BAND`` of it, and no more than half the other side (a wide line's
    frame is no further from its ends than from its top and bottom)."""
    return int(min(EDGE_RULE_BAND * size, 0.5 * other)) + 1


EDGE_RULE_SPAN = 0.97  # a frame's side runs over this share of the crop (a letter's stem,
# even as tall as a tight crop, stops short of its ends)
EDGE_RULE_BAND = 0.08  # ... within this share of the crop's size from one of its edges


def _edge_lines(found: list, h: int, w: int, faint: np.ndarray) -> list:
    """The lines of ``found`` (x at mid-height, mask, grey) that frame the crop: within
    :func:`_edge_band` of the left or right edge, and no ink (``faint``) in more than 2 % of
    the rows between each and that edge."""
    out = []
    band = _edge_band(w, h)
    for f in found:
        x = f[0]
        cols = np.flatnonzero(f[1].any(axis=0))
        if not len(cols):
            continue
        if x <= band:
            beyond = faint[:, : int(cols[0])]
        elif x >= w - 1 - band:
            beyond = faint[:, int(cols[-1]) + 1:]
        else:
            continue
        if not beyond.size or float(beyond.any(axis=1).mean()) <= 0.02:
            out.append(f)
    return out


def _grid_lines(found: list, h: int, w: int = 0, faint: np.ndarray | None = None) -> list:
    """The vertical lines of ``found`` (x, mask, grey) that stand in a grid: at least
    ``RULE_GRID`` of them, each with another one pitch away (the median gap between
    neighbours, at least a quarter of the crop's height, give or take 15 %). A letter's
    stem as tall as a tight crop stands in no grid."""
    if len(found) < RULE_GRID:
        return []
    xs = np.sort([f[0] for f in found])
    pitch = float(np.median(np.diff(xs)))
    if pitch < 0.25 * h:
        return []
    ok = [f for f in found if any(abs(abs(f[0] - g[0]) - pitch) <= 0.15 * pitch
                                  for g in found if g is not f)]
    return ok if len(ok) >= RULE_GRID else []


def level_line(img: np.ndarray, dark: np.ndarray | None = None) -> np.ndarray:
    """A grey crop whose line of writing runs at an angle (a photographed line, a page not
    quite straight) turned so the line is level; the same array when the angle is under
    ``LINE_MIN_ANGLE`` degrees, the crop is short (under 3 times as wide as tall) or no
    angle makes the ink's row profile ``LINE_GAIN`` times sharper than it is (a ruling line
    in the crop keeps it as it is). The angle: the one of -``LINE_ANGLES``..``LINE_ANGLES``
    (2-degree steps, then 1 and half a degree either side of the best) whose vertical shear
    piles the ink (a sample of at most ~1,500 pixels) into the fewest rows (the sum of
    squared row counts)."""
    import cv2

    h, w = img.shape
    if h < 8 or w < 3 * h:
        return img
    ys, xs = np.nonzero(_dark(img) if dark is None else dark)
    if ys.size < 20:
        return img
    step = max(1, ys.size // 1500)  # a sample of the ink is enough to weigh rows
    xc = xs[::step].astype(np.float32) - w / 2
    yf = ys[::step].astype(np.float32)
    span = int(np.ceil(w * np.tan(np.radians(LINE_ANGLES)))) + h + 2

    def sharpness(deg: float) -> float:
        y2 = np.rint(yf - xc * np.float32(np.tan(np.radians(deg)))).astype(np.intp)
        counts = np.bincount(y2 + span // 2, minlength=span).astype(np.float64)
        return float(counts @ counts)

    scores = {0.0: sharpness(0.0)}
    flat = scores[0.0]
    for a in np.arange(-LINE_ANGLES, LINE_ANGLES + 1, 2.0):  # 2-degree steps, then finer
        scores.setdefault(float(a), sharpness(float(a)))
    for d in (1.0, 0.5):
        best = max(scores, key=lambda a: scores[a])
        for a in (best - d, best + d):
            if abs(a) <= LINE_ANGLES:
                scores.setdefault(a, sharpness(a))
    best = max(scores, key=lambda a: scores[a])
    if abs(best) < LINE_MIN_ANGLE or scores[best] < LINE_GAIN * flat:
        return img
    paper = int(np.percentile(img, 90))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), best, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(round(w * cos + h * sin)), int(round(h * cos + w * sin))
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=paper)


def _words(ink: np.ndarray) -> list[tuple[int, int]]:
    """Runs of inked columns ``[x0, x1)``, gaps under ``WORD_GAP`` x the letters' median height
    (its connected pieces') joined: the words of a line, roughly."""
    import cv2

    _, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT][stats[1:, cv2.CC_STAT_AREA] >= 4]
    if heights.size == 0:
        return []
    gap = max(2.0, WORD_GAP * float(np.median(heights)))
    cols = np.flatnonzero(ink.any(axis=0))
    if cols.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(cols) > gap)
    starts = [int(cols[0]), *(int(cols[b + 1]) for b in breaks)]
    ends = [*(int(cols[b]) + 1 for b in breaks), int(cols[-1]) + 1]
    return list(zip(starts, ends, strict=True))


def align_words(img: np.ndarray, dark: np.ndarray | None = None) -> np.ndarray:
    """A grey line image whose writing bends or drifts (written freely on unlined paper, a
    notebook's curve in a photo) with each word moved up or down whole, so that the middle of
    its core band (ascenders, descenders and tone marks do not move it) meets a straight line
    fitted through the words' middles; the paper between words follows in a straight slope,
    a run with little ink (a comma, a dot) moves with the paper around it. No letter is warped.
    The same array for writing under 4 times as wide as tall (its ink's extent,
    ``WORD_GUARD_INK``; else the crop's shape), fewer than three words, or words all within
    ``WORD_MIN`` x the core's height of that line."""
    import cv2

    h, w = img.shape
    if h < 8 or (w < 4 * h and not WORD_GUARD_INK):
        return img
    ink = _dark(img) if dark is None else dark
    if WORD_GUARD_INK:
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        if not len(rows) or cols[-1] - cols[0] < 4 * (rows[-1] - rows[0]):
            return img
    runs = _words(ink)
    if len(runs) < 3:
        return img
    mass = np.array([float(ink[:, a:b].sum()) for a, b in runs])
    major = mass >= WORD_MINOR * float(np.median(mass))
    xs, ys, ws, cores = [], [], [], []
    for (a, b), m, ok in zip(runs, mass, major, strict=True):
        if not ok:
            continue
        r = ink[:, a:b].sum(axis=1).astype(np.float64)
        band = np.flatnonzero(r >= 0.5 * r.max())
        xs.append((a + b) / 2.0)
        ys.append(float((band * r[band]).sum() / r[band].sum()))
        ws.append(m)
        cores.append(float(band[-1] - band[0] + 1))
    if len(xs) < 3:
        return img
    x, y, wt = np.array(xs), np.array(ys), np.sqrt(np.array(ws))
    fit = np.polyval(np.polyfit(x, y, 1, w=wt), x)
    off = y - fit
    if np.abs(off).max() < WORD_MIN * float(np.median(cores)):
        return img
    knots_x, knots_y = [], []
    anchors = iter(off)
    for (a, b), ok in zip(runs, major, strict=True):
        if ok:
            d = float(next(anchors))
            knots_x += [a, b - 1]
            knots_y += [d, d]
    shift = np.interp(np.arange(w, dtype=np.float64), knots_x, knots_y).astype(np.float32)
    pad = int(np.ceil(np.abs(shift).max())) + 1
    paper = int(np.percentile(img, 90))
    big = cv2.copyMakeBorder(img, pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=paper)
    return move_columns(big, shift, paper)


def move_columns(img: np.ndarray, shift: np.ndarray, paper: int | None = None) -> np.ndarray:
    """``img`` with each column x read from ``shift[x]`` rows lower (its writing moved up by
    ``shift[x]``; float32, one value a column), interpolated between rows; what falls outside
    is ``paper`` (None: the nearest edge row). The caller pads the image with paper first."""
    import cv2

    h, w = img.shape
    mapx = np.broadcast_to(np.arange(w, dtype=np.float32), (h, w)).copy()
    mapy = np.arange(h, dtype=np.float32)[:, None] + shift[None, :]
    if paper is None:
        return cv2.remap(img, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return cv2.remap(img, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                     borderValue=paper)


def _dark(img: np.ndarray) -> np.ndarray:
    """Ink: darker than the middle between the paper (90th percentile) and the darkest ink
    (1st), with at least 20 grey levels from the paper."""
    from preprocessing.quantile import percentiles_u8

    paper, ink = percentiles_u8(img, (90, 1), np.float32)
    return img < paper - 0.5 * max(paper - ink, 40.0)


def trim_rows(img: np.ndarray, margin: float = TRIM_MARGIN,
              dark: np.ndarray | None = None, edge_pieces: bool | None = None) -> np.ndarray:
    """A grey crop without the paper above its first and below its last row of ink (keeping
    ``margin`` x the ink's height), and with ``edge_pieces`` (whole line images) without a
    neighbouring line's writing that the crop cut through at its top or bottom edge
    (``_edge_pieces``; default ``TRIM_EDGE_PIECES``, off): the network scales the whole
    crop to its height, so a loosely cut line (a photographed line with paper around it)
    would be read at a fraction of its size (htr-v4 greedy on training-side stroke writers:
    17 % CER as drawn, 90 % with the line's height of paper added above and below, 16 % with
    that paper cut off). Ink is what lies below the middle between the paper (90th
    percentile) and the darkest ink (1st). A crop with no such row is returned as it is."""
    h, w = img.shape
    if h < 8:
        return img
    rows = np.count_nonzero(_dark(img) if dark is None else dark, axis=1)
    inked = rows > max(1.0, TRIM_ROW_INK * w)
    on = np.flatnonzero(inked)
    if on.size == 0:
        return img
    y0, y1 = int(on[0]), int(on[-1]) + 1
    if TRIM_EDGE_PIECES if edge_pieces is None else edge_pieces:
        y0, y1 = _edge_pieces(inked, rows, y0, y1, w)
    keep = int(round(margin * (y1 - y0))) + 1
    y0, y1 = max(0, y0 - keep), min(h, y1 + keep)
    return img[y0:y1] if (y0, y1) != (0, h) else img


def _edge_pieces(inked: np.ndarray, rows: np.ndarray, y0: int, y1: int,
                 width: int = 0) -> tuple[int, int]:
    """The rows ``y0:y1`` without a piece of another line cut by the crop's top or bottom
    edge: a run of inked rows touching the edge, apart from the line (the run holding the
    most ink) by at least ``EDGE_GAP`` empty rows, and at least ``EDGE_PIECE`` x the line's
    core tall (the rows holding half its densest row's ink, ~ the x-height). Tone marks set
    high, even at the edge of a tight crop, are lower than that and stay. Such a run is also
    cut when a row of it is inked over ``EDGE_RULE_WIDTH`` of the crop's ``width``: a box's
    side, a rule or a scanner's edge (rules-s35.md rule 68)."""
    h = len(inked)
    idx = np.flatnonzero(inked)
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > EDGE_GAP) + 1)
    if len(runs) < 2:
        return y0, y1
    # the line: the run holding the most ink, a rule across the width left out (a thin run
    # with a row inked over EDGE_RULE_WIDTH of it can outweigh a short word)
    tallest = max(len(r) for r in runs)
    ruled = [width > 0 and len(r) < tallest / 3
             and int(rows[r].max()) >= EDGE_RULE_WIDTH * width for r in runs]
    mass = [0 if rule and not all(ruled) else int(rows[r].sum())
            for r, rule in zip(runs, ruled, strict=True)]
    k = int(np.argmax(mass))
    main = runs[k]
    prof = rows[main[0]: main[-1] + 1]
    core = max(1, int(np.count_nonzero(prof >= 0.5 * prof.max())))
    first, last = 0, len(runs) - 1

    def cut(run: np.ndarray) -> bool:  # a neighbour's writing, or a line across the width
        return len(run) >= EDGE_PIECE * core or (width > 0 and int(rows[run].max())
                                                  >= EDGE_RULE_WIDTH * width)

    if k > 0 and runs[0][0] <= 1 and cut(runs[0]):
        first = 1
    if k < last and runs[-1][-1] >= h - 2 and cut(runs[-1]):
        last -= 1
    return int(runs[first][0]), int(runs[last][-1]) + 1


def to_grey(image: np.ndarray) -> np.ndarray:
    """A 2-D uint8 image from grey, RGB or RGBA input."""
    img = np.asarray(image)
    if img.ndim == 3:
        import cv2

        code = cv2.COLOR_RGBA2GRAY if img.shape[2] == 4 else cv2.COLOR_RGB2GRAY
        img = cv2.cvtColor(img[..., :4] if img.shape[2] >= 3 else img[..., 0], code)
    if img.ndim != 2:
        raise ValueError(f"expected a grey or RGB image, got shape {img.shape}")
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    return img


def prepare(image: np.ndarray, height: int, deslant: bool | None = None,
            trim: bool | None = None, whole_line: bool | None = None) -> np.ndarray:
    """Grey crop (dark ink on light paper) -> float32 (height, W) with ink ~1 and paper 0.
    On the way, each step passing a crop it has nothing to do for unchanged: uneven light
    evened out (``even_light``, ``EVEN_LIGHT``), a line at an angle turned level
    (``level_line``, ``LEVEL_LINE``), the paper above and below the writing cut off
    (``trim_rows``; ``trim``, default ``TRIM``). ``whole_line`` (a trainer's line images, not
    the pipeline's field crops): the light always evened (``LINE_LIGHT``), a squared paper's
    grid taken out (``remove_ruling``), a bent line straightened word by word (``align_words``,
    ``WORD_ALIGN``), a neighbouring line cut by the edge cut off
    (``trim_rows``' ``edge_pieces``), soft edges sharpened after scaling (``sharpen_soft``,
    ``LINE_SHARPEN``). After scaling, a strongly slanted hand is sheared to lean as the
    network reads best (``deslant``, default ``DESLANT``; a few pixels wider then)."""
    from preprocessing.quantile import percentiles_u8

    small = scaled_grey(image, height, trim, whole_line)
    if small is None:
        return np.zeros((height, height // 2), np.float32)
    if whole_line and LINE_SHARPEN is not None:
        small = sharpen_soft(small, *LINE_SHARPEN)
    img = small.astype(np.float32)
    # = np.percentile(img, 90) and (img, 1), read from one histogram
    paper, ink = percentiles_u8(small, (90, 1), np.float32)
    span = max(paper - ink, 40.0)
    out = np.clip((paper - img) / span, 0.0, 1.0)
    if DESLANT if deslant is None else deslant:
        from models.deslant import deslant as _deslant

        out = _deslant(out)
    return out


def scaled_grey(image: np.ndarray, height: int, trim: bool | None = None,
                whole_line: bool | None = None) -> np.ndarray | None:
    """The grey uint8 crop of :func:`prepare` scaled to ``height``, before its sharpening
    and normalisation: light evened, grid taken out, turned level, words aligned, rows
    trimmed as there; None for a crop with nothing left (under 2 px either way)."""
    import cv2

    img = to_grey(image)
    if DARK_EDGES:
        img = clear_dark_edges(img)
    if EVEN_LIGHT:
        img = even_light(img, whole_line=bool(LINE_LIGHT and whole_line))
    if RULING_OUT and whole_line:  # whole line images only (see RULING_OUT)
        img = _line_rules_out(img)
    trimmed = TRIM if trim is None else trim
    # the ink, found once for the two steps that weigh rows (again only if the line turned)
    dark = _dark(img) if (LEVEL_LINE or trimmed) and img.shape[0] >= 8 else None
    if LEVEL_LINE:
        turned = level_line(img, dark)
        img, dark = (img, dark) if turned is img else (turned, None)
    if WORD_ALIGN and whole_line:
        moved = align_words(img, dark)
        img, dark = (img, dark) if moved is img else (moved, None)
    if trimmed:
        img = trim_rows(img, dark=dark, edge_pieces=whole_line)
    h, w = img.shape
    if h < 2 or w < 2:
        return None
    new_w = int(round(w * height / h))
    new_w = max(height // 2, min(new_w, height * MAX_WIDTH_FACTOR))
    interp = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
    return cv2.resize(img, (new_w, height), interpolation=interp)


def sharpness(img: np.ndarray) -> float:
    """How steep a grey crop's edges are: the 99.5th percentile of its grey's slope (grey
    levels a pixel) over the ink's contrast (90th - 1st percentile, at least 40)."""
    import cv2

    from preprocessing.quantile import percentiles_u8

    f = img.astype(np.float32)
    slope = np.hypot(cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3),
                     cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)) / 8.0
    paper, ink = percentiles_u8(img, (90, 1), np.float32)
    return float(np.percentile(slope, 99.5) / max(float(paper - ink), 40.0))


def sharpen_soft(img: np.ndarray, below: float, amount: float) -> np.ndarray:
    """``img`` (grey uint8) unsharp-masked by ``amount`` (a Gaussian of 1 px) when its
    :func:`sharpness` is under ``below``; the same array otherwise."""
    import cv2

    if sharpness(img) >= below:
        return img
    f = img.astype(np.float32)
    return np.clip(f + amount * (f - cv2.GaussianBlur(f, (0, 0), 1.0)), 0, 255).astype(np.uint8)


def padded_width(width: int) -> int:
    """Batch width for a widest crop: a few widths only, since every new input shape costs
    the CPU kernels a cached plan (memory grew ~0.3 MB per new shape without bucketing)."""
    return width + (-width) % 64


def batch_tensor(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pad prepared crops on the right to one width: (N, 1, H, Wmax) and their widths."""
    height = arrays[0].shape[0]
    widths = np.array([a.shape[1] for a in arrays], dtype=np.int64)
    wmax = padded_width(int(widths.max()))
    out = np.zeros((len(arrays), 1, height, wmax), np.float32)
    for i, a in enumerate(arrays):
        out[i, 0, :, : a.shape[1]] = a
    return out, widths
