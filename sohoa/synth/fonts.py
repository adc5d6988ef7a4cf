"""Font sets for the synthetic generator: handwriting fonts split into disjoint roles, and the
printed fonts of the register forms.

The product is judged on handwriting it never saw, so the fonts used to train the handwriting
model (``train``), to test it (``test``) and to benchmark it (``bench``) never overlap.
"""

from __future__ import annotations

import logging
import subprocess
from functools import cache
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from sohoa.errors import NotFoundError

log = logging.getLogger(__name__)

ROLES = ("train", "test", "bench")

_VENDORED = {
    "train": ("itim", "mali", "patrick-hand", "sriracha", "shantell-sans"),
    "bench": ("playpen-sans", "borel"),
}
_SETO_PATHS = (Path("/usr/share/fonts/truetype/seto/setofont.ttf"),)
_PRINT_FAMILIES = (  # (regular, bold): Times-like first, as on most printed register forms
    ("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
     "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
     "/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf"),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)
# Further printed families for the layout families only (indexes 4, 5, 6 of
# print_font_path): sans and school type of other widths, so the generator's forms are not
# all Times-like. The default layout draws from _PRINT_FAMILIES alone, as before.
_MORE_PRINT_FAMILIES = (
    ("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
     "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/andika/Andika-Regular.ttf",
     "/usr/share/fonts/truetype/andika/Andika-Bold.ttf"),
)

# Printed families no layout family uses (indexes 7 on): for probes only (``column_errors.py
# --print-families``), to look on training-side pages for what a print font never seen does
# to header reading, without touching the held-out families' fonts.
_PROBE_PRINT_FAMILIES = (
    ("/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
     "/usr/share/fonts/truetype/freefont/FreeSerifBold.ttf"),
    ("/usr/share/fonts/truetype/freefont/FreeSans.ttf",
     "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf"),
    ("/usr/share/fonts/truetype/charis/CharisSIL-Regular.ttf",
     "/usr/share/fonts/truetype/charis/CharisSIL-Bold.ttf"),
    ("/usr/share/fonts/truetype/gentiumplus/GentiumPlus-Regular.ttf",
     "/usr/share/fonts/truetype/gentiumplus/GentiumPlus-Bold.ttf"),
)


class FontError(NotFoundError, RuntimeError):
    """A font role cannot be served because its fonts are missing."""


def _vendored_dir() -> Path:
    return Path(str(resources.files("sohoa").joinpath("data/fonts")))


def _fc_match(pattern: str) -> Path | None:
    """Ask fontconfig for a font file (used only when the usual Debian path is absent)."""
    try:
        out = subprocess.run(
            ["fc-list", pattern, "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        path = Path(line.split(":")[0].strip())
        if path.suffix.lower() in (".ttf", ".otf") and path.exists():
            return path
    return None


def _seto() -> Path | None:
    for p in _SETO_PATHS:
        if p.exists():
            return p
    return _fc_match("SetoFont")


def _dancing_script() -> Path | None:
    try:
        import fontpkg_dancing_script  # type: ignore[import-not-found]
    except ImportError:
        return None
    files = sorted(Path(fontpkg_dancing_script.__file__).parent.rglob("*.ttf"))
    return files[0] if files else None


@cache
def fonts_for_role(role: str) -> list[Path]:
    """Handwriting font files for ``train``, ``test`` or ``bench``; the three sets are disjoint.

    ``test`` uses Debian ``fonts-seto`` and PyPI ``fontpkg-dancing-script``; a missing one is
    logged and skipped, and an empty role is an error that says what to install.
    """
    if role not in ROLES:
        raise FontError(f"unknown font role {role!r}; use one of {', '.join(ROLES)}")
    if role in _VENDORED:
        folder = _vendored_dir()
        paths = [folder / f"{name}-400.ttf" for name in _VENDORED[role]]
        missing = [p for p in paths if not p.exists()]
        if missing:
            raise FontError(f"vendored fonts missing: {', '.join(map(str, missing))}")
        return paths
    found: list[Path] = []
    seto = _seto()
    if seto is None:
        log.warning("fonts-seto not found (apt-get install fonts-seto); test role without it")
    else:
        found.append(seto)
    dancing = _dancing_script()
    if dancing is None:
        log.warning("fontpkg-dancing-script not installed; test role without it")
    else:
        found.append(dancing)
    if not found:
        raise FontError(
            "no test-role fonts: install Debian fonts-seto and PyPI fontpkg-dancing-script"
        )
    return found


VIETNAMESE = (
    "ăâđêôơưĂÂĐÊÔƠƯ"
    "áàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
    "ÁÀẢÃẠẤẦẨẪẬẮẰẲẴẶÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ"
)


@cache
def covers_vietnamese(path: Path) -> bool:
    """Whether the font has a real glyph (not the missing-glyph box) for every Vietnamese
    letter; Liberation 1.x, for one, lacks some."""
    from fontTools.ttLib import TTFont

    try:
        cmap = TTFont(str(path), lazy=True).getBestCmap()
    except Exception:  # noqa: BLE001 - any unreadable font simply does not qualify
        return False
    return all(ord(ch) in cmap for ch in VIETNAMESE)


@cache
def _usable(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[Path, Path], ...]:
    return tuple((Path(r), Path(b)) for r, b in pairs
                 if Path(r).exists() and Path(b).exists()
                 and covers_vietnamese(Path(r)) and covers_vietnamese(Path(b)))


@cache
def print_families() -> tuple[tuple[Path, Path], ...]:
    """Installed (regular, bold) printed font pairs with every Vietnamese letter (the ones the
    default layout draws from)."""
    found = _usable(_PRINT_FAMILIES)
    if not found:
        other = _fc_match("Liberation Serif") or _fc_match("DejaVu Serif")
        if other is None:
            raise FontError("no printed font found: install fonts-liberation2 or fonts-dejavu")
        found = ((other, other),)
    return found


@cache
def more_print_families() -> tuple[tuple[Path, Path], ...]:
    """Installed further printed families (sans and school type) for the layout families."""
    return _usable(_MORE_PRINT_FAMILIES)


def print_font_path(weight: str = "regular", family: int = 0) -> Path:
    """A printed font for the form; ``family`` picks one of :func:`print_families`, or from
    ``len(_PRINT_FAMILIES)`` on one of :func:`more_print_families`, or from 7 on one of the
    probe families (the first family where that one is not installed)."""
    fams = print_families()
    first_probe = len(_PRINT_FAMILIES) + len(_MORE_PRINT_FAMILIES)
    if family >= first_probe:
        probe = _usable(_PROBE_PRINT_FAMILIES)
        k = family - first_probe
        fams = probe if k < len(probe) else fams
        family = k if k < len(probe) else 0
    elif family >= len(_PRINT_FAMILIES):
        more = more_print_families()
        k = family - len(_PRINT_FAMILIES)
        fams = more if k < len(more) else fams
        family = k if k < len(more) else 0
    regular, bold = fams[family % len(fams)]
    return bold if weight == "bold" else regular


@cache
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """A cached Pillow font; sizes are integers so the cache stays small."""
    try:
        return ImageFont.truetype(str(path), size=max(6, int(size)))
    except OSError as exc:
        raise FontError(f"cannot load font {path}: {exc}") from exc


# Extra letter shapes for training the handwriting model only: installed fonts that are in no
# role (never the test or bench fonts). Handwriting-like ones come from PyPI ``fontpkg-*``
# packages (the ``train`` extra), printed/school ones from the Debian font packages the setup
# installs. A font serves a line only if it has a glyph for every character of that line, so
# the handwriting fonts without Vietnamese still write dates, numbers and unaccented words.
# Debian handwriting fonts (make setup installs them), each with a licence that allows training
# on what it renders: OFL-1.0/1.1 (breip, bwht, ecolier-court, humor-sans, kristi,
# kaushanscript, comic-neue) and GPL-3+ with the font exception (rufscript). They have no
# Vietnamese letters: the stroke writers draw the marks by hand; font lines use them only for
# lines they can write.
EXTRA_HAND_DEBIAN = {
    "fonts-breip": ("truetype/breip", "OFL-1.0"),
    "fonts-bwht": ("opentype/bwht", "OFL-1.1"),
    "fonts-ecolier-court": ("truetype/ecolier-court", "OFL-1.1"),
    "fonts-humor-sans": ("truetype/humor-sans", "OFL-1.1"),
    "fonts-kristi": ("truetype/kristi", "OFL-1.1"),
    "fonts-kaushanscript": ("opentype/kaushanscript", "OFL-1.1"),
    "fonts-comic-neue": ("opentype/comic-neue", "OFL-1.1"),
    "fonts-rufscript": ("truetype/rufscript", "GPL-3+ with font exception"),
}
_EXTRA_PRINT_DIRS = ("andika", "charis", "gentiumplus", "dejavu", "noto", "liberation2",
                     "freefont")


@cache
def font_codepoints(path: Path) -> frozenset[int]:
    """Every code point the font maps to a glyph (empty if it cannot be read)."""
    from fontTools.ttLib import TTFont

    try:
        return frozenset(TTFont(str(path), lazy=True).getBestCmap())
    except Exception:  # noqa: BLE001 - an unreadable font covers nothing
        return frozenset()


def _role_fonts() -> set[str]:
    names: set[str] = set()
    for role in ROLES:
        try:
            names.update(p.name for p in fonts_for_role(role))
        except FontError:
            continue
    return names | {"setofont.ttf"}


def _glyph_mask(font: ImageFont.FreeTypeFont, ch: str) -> np.ndarray | None:
    img = Image.new("L", (220, 220), 0)
    ImageDraw.Draw(img).text((40, 20), ch, font=font, fill=255)
    a = np.asarray(img)
    ys, xs = np.nonzero(a > 128)
    if not len(ys):
        return None
    return cv2.resize(a[ys.min():ys.max() + 1, xs.min():xs.max() + 1], (32, 32)) > 128


@cache
def caps_only(path: Path) -> bool:
    """Whether the font's lower case is drawn as capitals: x nearly as tall as H (>= 82 %)
    and a, e, g, r, n, b shaped like A, E, G, R, N, B (mean overlap of the normalised glyphs
    >= 0.5): Humor Sans, Permanent Marker, the Because We fonts. A line in such a font would
    teach ``nguyen`` from ``NGUYEN`` shapes, so it is never a training hand. (A casual hand
    with a tall x-height, such as Shadows Into Light, is tall but not capital-shaped.)"""
    font = load_font(path, 100)
    x, h = font.getbbox("x"), font.getbbox("H")
    if (x[3] - x[1]) < 0.82 * max(1, h[3] - h[1]):
        return False
    overlaps = []
    for ch in "aegrnb":
        lo, up = _glyph_mask(font, ch), _glyph_mask(font, ch.upper())
        if lo is not None and up is not None:
            overlaps.append((lo & up).sum() / max(1, (lo | up).sum()))
    return bool(overlaps) and float(np.mean(overlaps)) >= 0.5


@cache
def extra_training_fonts() -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """``(handwriting, printed)`` font files usable as extra training hands, outside every
    role. Missing packages simply give shorter lists."""
    from importlib import metadata

    taken = _role_fonts()
    hand: list[Path] = []
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if not name.startswith("fontpkg-") or name == "fontpkg-dancing-script":
            continue
        for f in dist.files or ():
            p = Path(str(dist.locate_file(f)))
            if p.suffix.lower() in (".ttf", ".otf") and p.name not in taken and p.exists():
                hand.append(p)
    for sub, _licence in EXTRA_HAND_DEBIAN.values():
        hand += [p for p in sorted(Path("/usr/share/fonts", sub).glob("*.[ot]tf"))
                 if p.name not in taken]
    hand = [p for p in hand if not caps_only(p)]
    printed: list[Path] = []
    root = Path("/usr/share/fonts/truetype")
    for d in _EXTRA_PRINT_DIRS:
        for p in sorted((root / d).glob("*.ttf")):
            if "mono" in p.name.lower() or p.name in taken:
                continue
            if covers_vietnamese(p):
                printed.append(p)
    return tuple(sorted(hand)), tuple(printed)
