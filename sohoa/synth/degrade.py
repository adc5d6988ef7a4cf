"""What scanning and age do to a page: paper tint, stains, a red stamp, page curl, skew on a
dark scanner bed, the facing page in the gutter, noise, blur, JPEG, and a sideways scan.

Geometry is kept as a :class:`ScanGeometry` that maps any upright-page point to the final
image, so the ground-truth boxes follow the ink exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
from PIL import Image, ImageDraw

from sohoa.synth.fonts import load_font, print_font_path


@dataclass(frozen=True)
class ScanGeometry:
    """Upright page (w x h) -> final image: curl, then affine (skew about the centre plus
    padding), then ``rotation`` degrees counter-clockwise (np.rot90)."""

    page_w: int
    page_h: int
    curl: float  # vertical bend in pixels at the curled edge
    curl_left: bool
    curl_width: float
    matrix: tuple[tuple[float, float, float], tuple[float, float, float]]
    out_w: int  # before rotation
    out_h: int
    angle: float  # degrees, + = counter-clockwise (cv2.getRotationMatrix2D convention)
    rotation: int
    homography: tuple[tuple[float, ...], ...] | None = None  # phone photo keystone, after affine
    crop: tuple[int, int, int, int] | None = None  # (x0, y0, x1, y1) kept, before rotation

    def curl_offset(self, x: np.ndarray) -> np.ndarray:
        if self.curl == 0:
            return np.zeros_like(x, dtype=np.float64)
        dist = x if self.curl_left else (self.page_w - x)
        s = np.clip(1.0 - dist / self.curl_width, 0.0, 1.0)
        return self.curl * s * s

    def map_points(self, pts: np.ndarray) -> np.ndarray:
        """Upright page points (N x 2, x y) -> points in the final image."""
        p = np.asarray(pts, dtype=np.float64).reshape(-1, 2).copy()
        p[:, 1] += self.curl_offset(p[:, 0])
        m = np.asarray(self.matrix)
        p = p @ m[:, :2].T + m[:, 2]
        if self.homography is not None:
            q = np.concatenate([p, np.ones((len(p), 1))], 1) @ np.asarray(self.homography).T
            p = q[:, :2] / q[:, 2:3]
        w, h = self.out_w, self.out_h
        if self.crop is not None:
            p = p - [self.crop[0], self.crop[1]]
            w, h = self.crop[2] - self.crop[0], self.crop[3] - self.crop[1]
        for _ in range(self.rotation // 90):
            p = np.stack([p[:, 1], w - p[:, 0]], axis=1)
            w, h = h, w
        return p

    @property
    def final_size(self) -> tuple[int, int]:
        w, h = self.out_w, self.out_h
        if self.crop is not None:
            w, h = self.crop[2] - self.crop[0], self.crop[3] - self.crop[1]
        return (h, w) if self.rotation in (90, 270) else (w, h)

    def photo(self, img: np.ndarray, border: tuple[int, ...] | int, nearest: bool = False
              ) -> np.ndarray:
        """Keystone and crop (what follows the affine part) on an image of ``out`` size."""
        if self.homography is not None:
            img = cv2.warpPerspective(
                img, np.asarray(self.homography, np.float64), (self.out_w, self.out_h),
                flags=cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT, borderValue=border)
        if self.crop is not None:
            x0, y0, x1, y1 = self.crop
            img = np.ascontiguousarray(img[y0:y1, x0:x1])
        return img


def sample_scan(
    rng: np.random.Generator, w: int, h: int, hard: bool, rotation: int, mm: float
) -> ScanGeometry:
    angle = float(rng.uniform(-6, 6) if hard and rng.random() < 0.7 else rng.uniform(-2, 2))
    curl = float(rng.uniform(0.6, 2.5) * mm) if hard and rng.random() < 0.4 else 0.0
    pads = [int(rng.uniform(0, 12) * mm) if hard else int(rng.uniform(0, 2) * mm)
            for _ in range(4)]  # left, top, right, bottom
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rot[0, 2] += pads[0]
    rot[1, 2] += pads[1]
    matrix = (tuple(float(v) for v in rot[0]), tuple(float(v) for v in rot[1]))
    return ScanGeometry(w, h, curl, bool(rng.random() < 0.5), float(w * rng.uniform(0.1, 0.25)),
                        matrix,  # type: ignore[arg-type]
                        w + pads[0] + pads[2], h + pads[1] + pads[3], angle, rotation)


def paper(rng: np.random.Generator, w: int, h: int, hard: bool) -> np.ndarray:
    """Paper colour with slow light variation (uint8 RGB)."""
    bright = rng.uniform(218, 245) if hard else rng.uniform(238, 252)
    yellow = rng.uniform(5, 35) if hard else rng.uniform(0, 6)  # aged paper loses blue first
    base = np.array([bright, bright - yellow * 0.35, bright - yellow]) + rng.normal(0, 1.5, 3)
    light = 1.0 - (0.05 if hard else 0.015) * rng.random((6, 8, 1))
    small = np.clip(light * base[None, None, :], 0, 255).astype(np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def apply_grey(page: np.ndarray, cov: np.ndarray, darkness: float) -> None:
    """Multiply neutral ink (printed text, ruling) of full-page coverage ``cov`` (uint8)."""
    factor = cv2.convertScaleAbs(cov, alpha=-darkness, beta=255.0)  # 255 - cov * darkness
    cv2.multiply(page, cv2.merge([factor, factor, factor]), dst=page, scale=1.0 / 255.0)


def apply_ink(
    page: np.ndarray, cov: np.ndarray, colour: tuple[float, float, float], x: int = 0, y: int = 0
) -> None:
    """Multiply ink of ``colour`` with coverage ``cov`` (0..1) into the uint8 ``page`` at
    (x, y), as ink soaks into paper (darker where strokes overlap)."""
    h, w = cov.shape
    H, W = page.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    c = cov[y0 - y:y1 - y, x0 - x:x1 - x, None]
    absorb = 1.0 - np.asarray(colour, np.float32) / 255.0
    region = page[y0:y1, x0:x1].astype(np.float32)
    region *= 1.0 - c * absorb
    page[y0:y1, x0:x1] = (region + 0.5).astype(np.uint8)


def show_through(page: np.ndarray, rng: np.random.Generator, mm: float) -> None:
    """Writing on the back of a thin sheet showing through, mirrored and blurred."""
    grey = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
    paper_level = int(np.percentile(grey[:: 8, :: 8], 90))
    dark = cv2.subtract(np.full_like(grey, paper_level), grey)
    back = cv2.flip(dark, 1)
    shift = np.array([[1, 0, rng.uniform(-4, 4) * mm], [0, 1, rng.uniform(-4, 4) * mm]],
                     np.float32)
    back = cv2.warpAffine(back, shift, (back.shape[1], back.shape[0]))
    back = cv2.GaussianBlur(back, (0, 0), mm * rng.uniform(0.15, 0.35))
    factor = cv2.convertScaleAbs(back, alpha=-rng.uniform(0.08, 0.2), beta=255.0)
    cv2.multiply(page, cv2.merge([factor, factor, factor]), dst=page, scale=1.0 / 255.0)


def stains(page: np.ndarray, rng: np.random.Generator, n: int) -> None:
    h, w = page.shape[:2]
    for _ in range(n):
        r = int(rng.uniform(0.03, 0.12) * h)
        cx, cy = int(rng.uniform(0, w)), int(rng.uniform(0, h))
        small = rng.normal(0, 1, (8, 8)).astype(np.float32)
        blob = cv2.resize(small, (2 * r, 2 * r), interpolation=cv2.INTER_CUBIC)
        yy, xx = np.mgrid[-r:r, -r:r]
        blob = np.clip(blob * 0.3 + 1 - np.hypot(xx, yy) / r, 0, 1) ** 0.7
        blob = cv2.GaussianBlur(blob.astype(np.float32), (0, 0), r * 0.05 + 1)
        apply_ink(page, blob * rng.uniform(0.08, 0.25), (150, 110, 60), cx - r, cy - r)


def stamp(page: np.ndarray, rng: np.random.Generator, text: str, cx: int, cy: int,
          mm: float) -> None:
    """A round red commune seal: two rings, text around the rim, a star in the middle."""
    r = int(mm * rng.uniform(16, 20))
    size = 2 * r + 8
    cov = np.zeros((size, size), np.uint8)
    c = (size // 2, size // 2)
    cv2.circle(cov, c, r, 255, max(2, int(mm * 0.6)), cv2.LINE_AA)
    cv2.circle(cov, c, int(r * 0.72), 255, max(1, int(mm * 0.3)), cv2.LINE_AA)
    star = [(c[0] + r * (0.25 if k % 2 == 0 else 0.1) * np.cos(np.pi / 2 + k * np.pi / 5),
             c[1] - r * (0.25 if k % 2 == 0 else 0.1) * np.sin(np.pi / 2 + k * np.pi / 5))
            for k in range(10)]
    cv2.fillPoly(cov, [np.array(star, np.int32)], 255, cv2.LINE_AA)
    font = load_font(print_font_path("bold"), int(r * 0.17))
    n = len(text)
    for i, ch in enumerate(text):
        theta = np.pi * (0.5 + 1.6 * (i / max(1, n - 1) - 0.5))  # around the top
        px = c[0] - (r * 0.86) * np.cos(theta)
        py = c[1] - (r * 0.86) * np.sin(theta)
        box = font.getbbox(ch)
        gw, gh = int(box[2]) + 2, int(box[3]) + 2
        if gw < 3:
            continue
        g = Image.new("L", (gw, gh), 0)
        ImageDraw.Draw(g).text((1, 1), ch, font=font, fill=255)
        g = g.rotate(float(np.degrees(np.pi / 2 - theta)), expand=True,
                     resample=Image.Resampling.BILINEAR)
        ga = np.asarray(g)
        x0, y0 = int(px - ga.shape[1] / 2), int(py - ga.shape[0] / 2)
        if x0 >= 0 and y0 >= 0 and x0 + ga.shape[1] <= size and y0 + ga.shape[0] <= size:
            region = cov[y0:y0 + ga.shape[0], x0:x0 + ga.shape[1]]
            np.maximum(region, ga, out=region)
    f = cov.astype(np.float32) / 255.0
    f *= np.clip(rng.uniform(0.5, 0.9) + 0.3 * cv2.resize(
        rng.normal(0, 1, (6, 6)).astype(np.float32), (size, size)), 0.1, 1.0)
    apply_ink(page, f, (200, 40, 50), cx - size // 2, cy - size // 2)


def warp(img: np.ndarray, scan: ScanGeometry, border: tuple[int, int, int]) -> np.ndarray:
    """Apply the scan geometry (not the rotation) to an upright uint8 RGB page."""
    if scan.curl:
        h, w = img.shape[:2]
        xs = np.arange(w, dtype=np.float64)
        d = scan.curl_offset(xs).astype(np.float32)
        map_x = np.broadcast_to(xs.astype(np.float32)[None, :], (h, w)).copy()
        map_y = np.arange(h, dtype=np.float32)[:, None] - d[None, :]
        img = cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    m = np.asarray(scan.matrix, np.float64)
    out = cv2.warpAffine(img, m, (scan.out_w, scan.out_h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=border)
    return scan.photo(out, border)


def warp_labels(labels: np.ndarray, scan: ScanGeometry) -> np.ndarray:
    """The scan geometry applied to an int32 label image (nearest neighbour)."""
    lab: np.ndarray = labels.astype(np.float32)
    if scan.curl:
        h, w = lab.shape
        xs = np.arange(w, dtype=np.float64)
        d = scan.curl_offset(xs).astype(np.float32)
        map_x = np.broadcast_to(xs.astype(np.float32)[None, :], (h, w)).copy()
        map_y = np.arange(h, dtype=np.float32)[:, None] - d[None, :]
        lab = cv2.remap(lab, map_x, map_y, cv2.INTER_NEAREST, borderValue=0)
    m = np.asarray(scan.matrix, np.float64)
    out = cv2.warpAffine(lab, m, (scan.out_w, scan.out_h), flags=cv2.INTER_NEAREST,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return scan.photo(out, 0, nearest=True).astype(np.int32)


def gutter(img: np.ndarray, scan: ScanGeometry, rng: np.random.Generator, mm: float) -> None:
    """Shadow along the bound edge and a strip of the facing page beyond it (never over the
    page itself, so the ink stays as drawn)."""
    h, w = img.shape[:2]
    left = not scan.curl_left if scan.curl else bool(rng.random() < 0.5)
    ex = 0.0 if left else float(scan.page_w)
    # the image is not turned yet (``rotate`` comes last): the edge in unturned coordinates
    unturned = replace(scan, rotation=0)
    top, bottom = unturned.map_points(np.array([[ex, 0.0], [ex, float(scan.page_h)]]))
    ys = np.arange(h, dtype=np.float32)
    t = (ys - top[1]) / max(1e-6, bottom[1] - top[1])
    edge = (top[0] + t * (bottom[0] - top[0])).astype(np.float32)  # page edge x per row
    width = mm * rng.uniform(8, 20)
    reach = int(width * 2.5) + 2  # the shadow has faded out beyond this
    lo = 0 if left else max(0, int(edge.min()) - reach)
    hi = min(w, int(edge.max()) + reach) if left else w
    if hi <= lo:
        return
    xs = np.arange(lo, hi, dtype=np.float32)
    signed = xs[None, :] - edge[:, None]  # > 0 right of the edge
    inside = signed > 0 if left else signed < 0
    dist = np.abs(signed)
    shade = 1.0 - 0.55 * np.exp(-dist / (width * 0.35))
    facing = ~inside & (dist > 2)
    tone = float(rng.uniform(200, 235))
    face = tone * (1.0 - 0.6 * np.exp(-dist / (width * 0.5)))
    band = img[:, lo:hi].astype(np.float32) * shade[..., None]
    band[facing] = face[facing][:, None]
    img[:, lo:hi] = np.clip(band, 0, 255).astype(np.uint8)


def noise_blur_jpeg(img: np.ndarray, rng: np.random.Generator, hard: bool) -> np.ndarray:
    """Sensor noise from a tiled noise patch (fast), optional blur and JPEG round trip."""
    sigma = rng.uniform(4, 10) if hard else rng.uniform(1, 3)
    grain = rng.normal(0, sigma, (256, 256, 1)) + rng.normal(0, sigma * 0.3, (256, 256, 3))
    tile = np.clip(128 + grain, 0, 255).astype(np.uint8)
    h, w = img.shape[:2]
    reps = (h // 256 + 2, w // 256 + 2, 1)
    oy, ox = int(rng.integers(256)), int(rng.integers(256))
    noise = np.tile(tile, reps)[oy:oy + h, ox:ox + w]
    out = cv2.addWeighted(img, 1.0, noise, 1.0, -128.0)
    if hard and rng.random() < 0.6:
        out = cv2.GaussianBlur(out, (0, 0), float(rng.uniform(0.5, 1.2)))
    if hard and rng.random() < 0.7:
        q = int(rng.integers(25, 65))
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])
        decoded = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else None
        if decoded is not None:
            out = decoded
    return out


def rotate(img: np.ndarray, rotation: int) -> np.ndarray:
    """The page scanned sideways or upside down: ``rotation`` degrees counter-clockwise."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(img, k)) if k else img


def uneven_light(img: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """A phone's light: a brighter spot and a darker corner (smooth, up to ``strength`` x 45 %
    darker at the worst place)."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:1:12j, 0:1:16j]
    cx, cy = rng.uniform(0.2, 0.8, 2)
    spot = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / rng.uniform(0.1, 0.4))
    ang = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(ang) * (xx - 0.5) + np.sin(ang) * (yy - 0.5)) + 0.5
    shade = 1.0 - strength * 0.45 * np.clip(0.6 * ramp + 0.4 * (1 - spot), 0, 1)
    factor = cv2.resize(shade.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(img.astype(np.float32) * factor[..., None], 0, 255).astype(np.uint8)
