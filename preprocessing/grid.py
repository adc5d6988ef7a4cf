"""Find the ruled table on an upright, deskewed page.

Lines are found strip by strip (the page is cut into vertical strips for horizontal lines and
horizontal bands for vertical lines) and linked across strips, then each line is fitted with a
low-order polynomial: faded or broken lines still show in enough strips, and a slightly curled
page keeps its curved lines. The table's extent is where long lines in both directions meet;
lines outside it (the edge of a facing page, a long underline in the title) are dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import cv2
import numpy as np

from preprocessing.clean import binarize, line_masks, normalize_background, to_grey
from preprocessing.layout import Grid, RuledLine

log = logging.getLogger(__name__)

STRIPS = 10
MIN_STRENGTH = 0.3
COMMON_DRIFT = 0.06  # the most that all full-length lines may tilt alike (a residual skew)
# an outer horizontal line is the table's frame only if some column lines run on from it:
# under this share of the vertical lines crossing the band to the next line, it is not
UNWALLED = 0.2
BROKEN = 0.8  # ... and only a line found over less of the table's width than this
DOTTED = 0.7  # ... or one whose ink covers less of its length (a leader of dots)
STRAY_PX = 3.0  # a chain's sample this far off its line's fit is no part of the line
SNUG_PX = 1.0  # ... when the other samples sit this close to theirs (_left_out_stray)


@dataclass(frozen=True)
class _Peak:
    pos: float
    weight: float


def _peaks(profile: np.ndarray, threshold: float, min_dist: int) -> list[_Peak]:
    """Local maxima above ``threshold`` at least ``min_dist`` apart, with sub-pixel centroid."""
    p = cv2.blur(profile.astype(np.float32).reshape(-1, 1), (1, 3)).ravel()
    prev = np.r_[-1.0, p[:-1]]
    nxt = np.r_[p[1:], -1.0]
    cand = np.nonzero((p >= threshold) & (p >= prev) & (p > nxt))[0]
    if len(cand) == 0:
        return []
    order = cand[np.argsort(-p[cand])]
    taken: list[int] = []
    blocked = np.zeros(len(p) + 2 * min_dist, bool)  # within min_dist of a peak taken
    for i in order.tolist():
        if not blocked[i + min_dist]:
            taken.append(i)
            blocked[i + 1: i + 2 * min_dist] = True
    out = []
    for i in sorted(taken):
        # centroid of the whole peak (a thick line is a plateau; its maximum sits at one end)
        half = 0.5 * p[i]
        lo, hi = i, i + 1
        while lo > 0 and i - lo < 10 and profile[lo - 1] >= half:
            lo -= 1
        while hi < len(profile) and hi - i < 10 and profile[hi] >= half:
            hi += 1
        w = profile[lo:hi].astype(np.float64)
        pos = float((np.arange(lo, hi) * w).sum() / w.sum()) if w.sum() > 0 else float(i)
        out.append(_Peak(pos, float(p[i])))
    return out


def _link(
    strip_peaks: list[list[_Peak]], centers: np.ndarray, tol: float, wander: bool = False
) -> list[list[tuple[float, float]]]:
    """Chain peaks of neighbouring strips into lines, starting from the strip with most peaks.

    Each chain predicts its next position from its last two samples, so a line bending at a
    curled page edge stays one chain. With ``wander`` a peak level with the chain's last
    sample also continues it: a hand-drawn line's slope turns from strip to strip, and the
    straight prediction then misses (row lines only: in the column strips, text would chain
    into false column lines)."""
    n = len(strip_peaks)
    start = int(np.argmax([len(p) for p in strip_peaks]))
    ys0 = sorted(p.pos for p in strip_peaks[start])
    if len(ys0) >= 3:
        tol = max(tol, min(0.15 * float(np.median(np.diff(ys0))), 2.0 * tol))
    lines: list[list[tuple[float, float]]] = [[(centers[start], p.pos)] for p in strip_peaks[start]]
    for direction in (1, -1):
        s = start + direction
        while 0 <= s < n:
            x = centers[s]
            pred: dict[int, tuple[float, float]] = {}
            for i, line in enumerate(lines):
                pts = line[-2:] if direction == 1 else line[:2][::-1]
                last = pts[-1][1]
                if len(pts) == 2 and abs(pts[1][0] - pts[0][0]) > 0:
                    (xa, ya), (xb, yb) = pts
                    pred[i] = (yb + (yb - ya) * (x - xb) / (xb - xa), last)
                else:
                    pred[i] = (last, last)
            # a hand-drawn line wanders: its slope turns between strips, so the straight
            # prediction can miss where the line simply stays level (or the reverse)
            pairs = _nearest_pairs(pred, strip_peaks[s], tol, wander)
            used_l: set[int] = set()
            used_p: set[int] = set()
            for _, i, k in pairs:  # nearest pairs first
                if i in used_l or k in used_p:
                    continue
                used_l.add(i)
                used_p.add(k)
                sample = (x, strip_peaks[s][k].pos)
                if direction == 1:
                    lines[i].append(sample)
                else:
                    lines[i].insert(0, sample)
            for k, pk in enumerate(strip_peaks[s]):
                if k not in used_p:
                    lines.append([(x, pk.pos)])
            s += direction
    return lines


def _nearest_pairs(pred: dict[int, tuple[float, float]], peaks: list[_Peak], tol: float,
                   wander: bool) -> list[tuple[float, int, int]]:
    """(distance, chain, peak) of every chain and peak of a strip within ``tol`` of each
    other, nearest first (ties: lower chain, then lower peak): the chain's predicted
    position, or with ``wander`` its last sample's, whichever is nearer."""
    if not pred or not peaks:
        return []
    chain = np.fromiter(pred.keys(), np.int64, len(pred))
    vals = np.array(list(pred.values()), np.float64).reshape(-1, 2)
    pos = np.array([pk.pos for pk in peaks], np.float64)
    d = np.abs(vals[:, :1] - pos[None, :])
    if wander:
        d = np.minimum(d, np.abs(vals[:, 1:] - pos[None, :]))
    ci, ki = np.nonzero(d <= tol)
    dist, chains = d[ci, ki], chain[ci]
    order = np.lexsort((ki, chains, dist))
    return list(zip(dist[order].tolist(), chains[order].tolist(), ki[order].tolist(),
                    strict=True))


def _degree(t: np.ndarray, extent: float | None) -> int:
    """The polynomial degree a chain's samples at ``t`` are fitted with (see :func:`_fit`)."""
    n = len(t)
    deg = 3 if n >= 8 else 2 if n >= 5 else 1 if n >= 3 else 0
    if extent is not None and float(t.max() - t.min()) < 0.5 * extent:
        deg = min(deg, 1)
    return deg


def _left_out_stray(t: np.ndarray, d: np.ndarray) -> int | None:
    """The one sample of ``d`` (a piece's offsets from its full-length neighbour at ``t``)
    that the others disown: they lie on a straight line within ``SNUG_PX`` and it is over
    ``STRAY_PX`` off it. None when no sample is such (or there are under 5)."""
    if len(t) < 5:
        return None
    best, miss = None, STRAY_PX
    for i in range(len(t)):
        keep = np.arange(len(t)) != i
        c = np.polyfit(t[keep], d[keep], 1)
        off = abs(float(np.polyval(c, t[i])) - float(d[i]))
        if off > miss and np.abs(np.polyval(c, t[keep]) - d[keep]).max() <= SNUG_PX:
            best, miss = i, off
    return best


def _true_to_neighbour(lines: list[RuledLine], chains: list[list[tuple[float, float]]],
                       mid: float, extent: float) -> list[RuledLine]:
    """Pieces of lines (seen in 5 or more strips, not all) refitted without a sample that
    strays from the course of the nearest line seen over >= 0.8 of the strips: ruling lines
    run alike (a curled page bends them all, a photo fans them out evenly), so a piece whose
    samples follow its neighbour but for one was shifted there by writing touching it (in a
    cluttered strip the peak moves, and a quadratic through the piece bent to it ran 19 px
    off beyond the piece: ks-2006 1720051). The piece keeps its strength."""
    full = [ln for ln in lines if ln.strength >= 0.8]
    if not full:
        return lines
    out = []
    for ln, c in zip(lines, chains, strict=True):
        if 5 <= len(c) < STRIPS:
            ref = min((f for f in full if f is not ln), key=lambda f: abs(f.pos - ln.pos),
                      default=None)
            if ref is not None:
                t = np.array([s[0] for s in c])
                v = np.array([s[1] for s in c])
                i = _left_out_stray(t, v - ref.at(t))
                if i is not None:
                    ln = replace(_fit([s for j, s in enumerate(c) if j != i], STRIPS, mid,
                                      extent), strength=ln.strength)
        out.append(ln)
    return out


def _fit(samples: list[tuple[float, float]], n_strips: int, mid: float,
         extent: float | None = None) -> RuledLine:
    """The chain's line: a polynomial of its samples, of lower degree the fewer they are. A
    chain seen over under half of the strips' ``extent`` is fitted straight: a curve through
    a part of a table runs off beyond its samples (a quadratic through five samples of a
    wobbly piece ran 60 px off across the rest of a table and cut through a row). At 60 %,
    on a photographed two-level header (kh-2006 671080, hand-photo) five chains seen over
    0.55 of the strips were straightened and the header's lower level became an entry."""
    t = np.array([s[0] for s in samples])
    v = np.array([s[1] for s in samples])
    deg = _degree(t, extent)
    coeffs = np.polyfit(t, v, deg) if deg > 0 else np.array([float(v.mean())])
    if deg > 0:
        resid = np.abs(np.polyval(coeffs, t) - v)
        if resid.max() > STRAY_PX and len(samples) >= 4:  # drop one stray sample and refit
            keep = resid < resid.max()
            coeffs = np.polyfit(t[keep], v[keep], min(deg, int(keep.sum()) - 1))
    pos = float(np.polyval(coeffs, mid))
    strength = len(samples) / n_strips
    return RuledLine(pos=pos, coeffs=tuple(float(c) for c in coeffs), strength=strength)


def _lines(mask: np.ndarray, lo: int, hi: int, min_dist: int, tol: float,
           cover: float = 0.55, wander: bool = False) -> list[RuledLine]:
    """Horizontal lines of a horizontal-line mask, measured in strips between x=lo and x=hi."""
    lo, hi = max(0, lo), min(mask.shape[1], hi)
    if hi - lo < STRIPS * 4:
        return []
    edges = np.linspace(lo, hi, STRIPS + 1).astype(int)
    centers = (edges[:-1] + edges[1:]) / 2.0
    peaks = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        prof = np.count_nonzero(mask[:, a:b], axis=1)
        peaks.append(_peaks(prof, cover * (b - a), min_dist))
    if not any(peaks):
        return []
    chains = _link(peaks, centers, tol, wander)
    mid = (lo + hi) / 2.0
    extent = float(centers[-1] - centers[0])
    lines = _true_to_neighbour([_fit(c, STRIPS, mid, extent) for c in chains], chains, mid,
                               extent)
    # on a deskewed page ruling lines are level, or all tilt alike (a skew estimate a little
    # off, a hand-ruled table drawn askew), or lean as a pencil through one vanishing point
    # (a photo at an angle: the keystone fans them out, and their lean then varies linearly
    # with their position): a chain that drifts otherwise is made of text (measured where
    # the chain has samples, scaled to the span: a cubic fit of a wobbly hand-drawn line
    # bends away beyond its first and last samples, and its value at the span's ends would
    # call a table's frame "drifting")
    span = float(hi - lo)
    drift = np.array([_drift(ln, c, span) for ln, c in zip(lines, chains, strict=True)])
    pos = np.array([ln.pos for ln in lines])
    full = np.array([ln.strength >= 0.8 for ln in lines])
    expected = pencil_drift(pos[full], drift[full], span)(pos)
    lines = [ln for ln, d, e in zip(lines, drift, expected, strict=True)
             if abs(d - e) <= 0.015 * span]
    return sorted((ln for ln in lines if ln.strength >= MIN_STRENGTH), key=lambda ln: ln.pos)


def pencil_drift(pos: np.ndarray, drift: np.ndarray, span: float):  # type: ignore[no-untyped-def]
    """The drift expected of a line at a position, from the full-length lines' (``pos``,
    ``drift``): their common drift (a residual skew, at most ``COMMON_DRIFT`` of ``span``:
    a strong keystone leaves the rows tilted ~3 degrees together after deskewing), plus,
    with four lines or more that agree on it, a lean growing linearly across the table
    (lines through one vanishing point; at most 12 % of ``span`` from one end of the lines
    to the other). Theil-Sen: a text chain that passed for a full line moves neither term."""
    lim = COMMON_DRIFT * span
    common = float(np.clip(np.median(drift), -lim, lim)) if len(pos) >= 3 else 0.0
    slope, mid = 0.0, float(np.median(pos)) if len(pos) else 0.0
    if len(pos) >= 4:
        i, j = np.triu_indices(len(pos), 1)
        dp = pos[j] - pos[i]
        ok = np.abs(dp) > 1e-6
        slope = float(np.median((drift[j] - drift[i])[ok] / dp[ok]))
        if abs(slope) * float(pos.max() - pos.min()) > 0.12 * span:
            slope = 0.0
        resid = drift - slope * (pos - mid)
        common = float(np.clip(np.median(resid), -lim, lim))
        # the lean must explain the lines: most full lines within the tolerance of the model
        if slope != 0.0 and np.mean(np.abs(resid - common) <= 0.015 * span) < 0.75:
            slope = 0.0
            common = float(np.clip(np.median(drift), -lim, lim))

    def expected(p: np.ndarray) -> np.ndarray:
        return common + slope * (np.asarray(p, dtype=np.float64) - mid)
    return expected


def _drift(ln: RuledLine, samples: list[tuple[float, float]], span: float) -> float:
    """How far the line rises over ``span`` at its mean slope between its first and last
    samples (0 for a single sample)."""
    ta, tb = samples[0][0], samples[-1][0]
    if tb - ta <= 0:
        return 0.0
    return (float(ln.at(tb)) - float(ln.at(ta))) * span / (tb - ta)


def _merge_close(lines: list[RuledLine], min_dist: float) -> list[RuledLine]:
    out: list[RuledLine] = []
    for ln in lines:
        if out and ln.pos - out[-1].pos < min_dist:
            if ln.strength > out[-1].strength:
                out[-1] = ln
            continue
        out.append(ln)
    return out


def _extent(mask: np.ndarray, axis: int, frac: float = 0.02) -> tuple[int, int]:
    """Range along ``axis`` where the mask has ink, ignoring thin tails."""
    prof = np.count_nonzero(mask, axis=axis)
    nz = np.nonzero(prof > frac * max(1, prof.max()))[0]
    if len(nz) == 0:
        return 0, 0
    return int(nz[0]), int(nz[-1]) + 1


def _walls_between(a: RuledLine, b: RuledLine, v_lines: list[RuledLine],
                   vmask: np.ndarray) -> float:
    """Share of the vertical lines whose ruling runs through the band between horizontal
    lines ``a`` and ``b`` (sampled on its middle half)."""
    h, w = vmask.shape
    hits = 0
    for v in v_lines:
        x = float(v.pos)
        ya, yb = float(a.at(x)), float(b.at(x))
        lo, hi = int(round(ya + 0.25 * (yb - ya))), int(round(ya + 0.75 * (yb - ya)))
        xi = int(round(float(v.at(0.5 * (ya + yb)))))
        if hi <= lo or not 0 <= xi < w:
            continue
        strip = vmask[max(0, lo):min(h, hi + 1), max(0, xi - 3):min(w, xi + 4)]
        if strip.size and np.count_nonzero(strip.any(axis=1)) >= 0.5 * strip.shape[0]:
            hits += 1
    return hits / max(1, len(v_lines))


def _broken(ln: RuledLine, v_lines: list[RuledLine], ink: np.ndarray | None) -> bool:
    """Found over less than ``BROKEN`` of the width, or (with ``ink``, binary, ruling kept)
    a row of dots: its ink covers under ``DOTTED`` of its length. The leader of a
    "Xã/phường: ......" row closes into a line in the ruling mask (its gaps are shorter than
    the closing), and the words written on it fill it in across 0.8-0.9 of the width; its own
    ink covers about half its length, a ruled line 0.8 or more."""
    if ln.strength < BROKEN:
        return True
    if ink is None:
        return False
    from preprocessing.rows import coverage

    return coverage(ink, ln, float(v_lines[0].pos), float(v_lines[-1].pos)) < DOTTED


def _walled(h_lines: list[RuledLine], v_lines: list[RuledLine], vmask: np.ndarray,
            ink: np.ndarray | None = None) -> list[RuledLine]:
    """The horizontal lines without an outer one that no column line reaches and that is
    broken (``_broken``): the dotted leaders of a "Xã/phường: ......" row just above the
    table, or of a signature line just below it, pass for ruling but the table's columns
    start and end at its frame (``UNWALLED``). A solid outer rule stays even so: a title row
    or merged header cells inside the frame have no column lines either (kh-2006 731011, a
    keystoned photo)."""
    out = list(h_lines)
    if len(v_lines) < 3:
        return out
    while len(out) >= 4 and _walls_between(out[0], out[1], v_lines, vmask) < UNWALLED \
            and _broken(out[0], v_lines, ink):
        out.pop(0)
    while len(out) >= 4 and _walls_between(out[-2], out[-1], v_lines, vmask) < UNWALLED \
            and _broken(out[-1], v_lines, ink):
        out.pop()
    return out


def line_length(shape: tuple[int, ...]) -> int:
    """Shortest straight run kept as ruling: long enough that joined-up writing is not."""
    return max(12, max(shape[0], shape[1]) // 30)


def find_grid(image: np.ndarray, ink: np.ndarray | None = None) -> Grid:
    """The ruled table of an upright page (grey/RGB, or pass a precomputed ink mask)."""
    if ink is None:
        ink = binarize(normalize_background(to_grey(image)))
    h, w = ink.shape
    hmask, vmask = line_masks(ink, line_length(ink.shape))
    return grid_from_masks(hmask, vmask, ink)


def grid_from_masks(hmask: np.ndarray, vmask: np.ndarray, ink: np.ndarray | None = None
                    ) -> Grid:
    """The table made of the lines in horizontal and vertical ruling masks (``ink``: the
    binary ink they came from, to tell a dotted leader above or below the table from its
    frame)."""
    h, w = hmask.shape
    min_dist = max(4, max(h, w) // 200)
    tol = max(3.0, max(h, w) / 250.0)
    # the table is where long lines of both directions overlap: a facing page's edge or a
    # title underline lies outside the other direction's extent and is cut away here
    x0, x1 = _extent(hmask, 0)
    pad = int(3 * tol)
    for _ in range(2):
        v_in = vmask.copy()
        v_in[:, : max(0, x0 - pad)] = 0
        v_in[:, x1 + pad :] = 0
        y0, y1 = _extent(v_in, 1, 0.2)
        h_in = hmask.copy()
        h_in[: max(0, y0 - pad)] = 0
        h_in[y1 + pad :] = 0
        x0, x1 = _extent(h_in, 0)
    if x1 - x0 < w * 0.2 or y1 - y0 < h * 0.15:
        return Grid((), (), (0, 0, 0, 0))
    h_lines = _lines(h_in, x0, x1, min_dist, tol, wander=True)
    # writing makes level runs, never long vertical ones: vertical lines may be more broken
    v_lines = _lines(v_in.T, y0, y1, min_dist, tol, cover=0.35)
    h_lines = [ln for ln in h_lines if y0 - pad <= ln.pos <= y1 + pad]
    v_lines = [ln for ln in v_lines if x0 - pad <= ln.pos <= x1 + pad]
    h_lines = _merge_close(h_lines, min_dist)
    v_lines = _merge_close(v_lines, min_dist)
    if not h_lines or not v_lines:
        return Grid(tuple(h_lines), tuple(v_lines), (0, 0, 0, 0))
    h_lines = _walled(h_lines, v_lines, v_in, ink)
    bbox = (
        int(v_lines[0].pos),
        int(h_lines[0].pos),
        int(np.ceil(v_lines[-1].pos)),
        int(np.ceil(h_lines[-1].pos)),
    )
    log.debug("grid: %d horizontal, %d vertical lines, bbox %s", len(h_lines), len(v_lines), bbox)
    return Grid(tuple(h_lines), tuple(v_lines), bbox)


def ruling_mask(grid: Grid, shape: tuple[int, int], thickness: int = 5,
                extra_v: tuple[RuledLine, ...] = (), ink: np.ndarray | None = None) -> np.ndarray:
    """A mask of the found ruling lines, drawn along their fitted curves.

    Unlike a morphological line mask it leaves a long, shallow strike-through stroke alone, so
    that stroke can still be recognised as one. With ``ink`` each line is drawn where its ink
    really runs (``trace``): a hand-drawn line wanders off any smooth curve, and the pieces
    left beside the curve would pass for writing in the cells along it."""
    mask = np.zeros(shape, np.uint8)
    x0, y0, x1, y1 = grid.bbox
    pad = 4 * thickness
    xs = np.arange(max(0, x0 - pad), min(shape[1], x1 + pad) + 1, 4, dtype=np.float64)
    ys = np.arange(max(0, y0 - pad), min(shape[0], y1 + pad) + 1, 4, dtype=np.float64)
    for ln in grid.h_lines:
        yv = ln.at(xs) if ink is None else trace(ink, ln, xs)
        pts = np.stack([xs, yv], axis=1).round().astype(np.int32)
        cv2.polylines(mask, [pts], False, 255, thickness)
    for ln in tuple(grid.v_lines) + tuple(extra_v):
        xv = ln.at(ys) if ink is None else trace(ink.T, ln, ys)
        pts = np.stack([xv, ys], axis=1).round().astype(np.int32)
        cv2.polylines(mask, [pts], False, 255, thickness)
    return mask


def trace(ink: np.ndarray, ln: RuledLine, ts: np.ndarray, reach: int = 6) -> np.ndarray:
    """Where a horizontal line's ink runs at each of ``ts`` (x positions): within ``reach``
    pixels of the fitted curve, the row of the band with most ink over a short window (9 px),
    where the line shows there; elsewhere the curve. A median over neighbouring positions
    keeps a letter touching the line from pulling it away. (Pass ``ink.T`` for a vertical
    line.)"""
    h, w = ink.shape
    fit = ln.at(ts)
    if len(ts) < 3 or w < 16:
        return fit
    d = np.arange(-reach, reach + 1)
    a, b = max(0, int(ts.min()) - 8), min(w, int(ts.max()) + 9)  # only along the line
    xs_all = np.arange(a, b)
    yfit = np.round(ln.at(xs_all.astype(np.float64))).astype(int)
    rows = np.clip(yfit[None, :] + d[:, None], 0, h - 1)
    band = (ink[rows, xs_all[None, :]] > 0).astype(np.float32)
    win = cv2.blur(band, (9, 1), borderType=cv2.BORDER_REPLICATE)
    xi = np.clip(np.round(ts).astype(int) - a, 0, b - a - 1)
    col = win[:, xi]
    best = np.argmax(col, axis=0)
    shows = col[best, np.arange(len(xi))] >= 0.6
    off = np.where(shows, d[best].astype(np.float64), np.nan)
    # median over 5 neighbours where the line shows (where it does not: the curve)
    pad = np.pad(off, 2, mode="edge")
    stack = np.sort(np.stack([pad[i:i + len(off)] for i in range(5)]), axis=0)  # NaN last
    count = np.isfinite(stack).sum(axis=0)
    cols = np.arange(len(off))
    med = np.where(count > 0, stack[np.maximum(0, (count - 1) // 2), cols], 0.0)
    return fit + med
