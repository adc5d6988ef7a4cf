"""Labelled line sets drawn in code (synth fonts and hands) and written in the three formats a
trainer brings: ``labels.tsv`` + line images, PAGE XML + page image, ALTO + page image."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import cv2
import numpy as np

PAGE_NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"


def draw_lines(n: int, seed: int, font_role: str = "test", writers: int = 3
               ) -> list[tuple[str, np.ndarray, str]]:
    """(text, grey line image, writer id): ``writers`` random hands of ``font_role``."""
    from models.data import SynthSource
    from sohoa.synth import HandStyle, render_handwriting

    rng = np.random.default_rng(seed)
    src = SynthSource(font_role)
    hands = [HandStyle.sample(rng, font_role=font_role, size=34.0) for _ in range(writers)]
    out = []
    for i in range(n):
        _, text = src._text(rng)
        text = " ".join(text.split()[:4])
        w = i % writers
        out.append((text, render_handwriting(text, hands[w], rng), f"w{w + 1}"))
    return out


def write_tsv(folder: Path, lines: list[tuple[str, np.ndarray, str]], writers: bool = True
              ) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["file\ttext" + ("\twriter" if writers else "")]
    for i, (text, img, w) in enumerate(lines):
        name = f"l{i:03d}.png"
        cv2.imwrite(str(folder / name), img)
        rows.append(f"{name}\t{text}" + (f"\t{w}" if writers else ""))
    (folder / "labels.tsv").write_text("\n".join(rows) + "\n", "utf-8")
    return folder


def compose_page(lines: list[tuple[str, np.ndarray, str]], gap: int = 24
                 ) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """The lines pasted one under another on a page; their boxes (x0, y0, x1, y1)."""
    width = max(img.shape[1] for _, img, _ in lines) + 80
    height = sum(img.shape[0] + gap for _, img, _ in lines) + 60
    page = np.full((height, width), 240, np.uint8)
    boxes = []
    y = 30
    for _, img, _ in lines:
        h, w = img.shape
        page[y:y + h, 40:40 + w] = img
        boxes.append((40, y, 40 + w, y + h))
        y += h + gap
    return page, boxes


def write_page_xml(folder: Path, lines: list[tuple[str, np.ndarray, str]],
                   stem: str = "page1", image_subdir: bool = False) -> Path:
    """A PAGE 2019 file with one TextRegion; images next to it, or one folder up (Transkribus
    export layout: ``page/<stem>.xml`` with the image in the folder above)."""
    folder.mkdir(parents=True, exist_ok=True)
    page, boxes = compose_page(lines)
    cv2.imwrite(str(folder / f"{stem}.png"), page)
    xml_dir = folder / "page" if image_subdir else folder
    xml_dir.mkdir(exist_ok=True)
    body = []
    for i, ((text, _, _), (x0, y0, x1, y1)) in enumerate(zip(lines, boxes, strict=True)):
        # a polygon with a slanted left edge, as line finders produce
        pts = f"{x0},{y0 + 2} {x1},{y0} {x1},{y1} {x0 + 3},{y1}"
        body.append(f'<TextLine id="l{i}"><Coords points="{pts}"/>'
                    f'<Baseline points="{x0},{y1 - 4} {x1},{y1 - 4}"/>'
                    f'<TextEquiv><Unicode>{_esc(text)}</Unicode></TextEquiv></TextLine>')
    h, w = page.shape
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<PcGts xmlns="{PAGE_NS}"><Metadata>'
           f'<Creator>sohoa tests</Creator></Metadata><Page imageFilename="{stem}.png" '
           f'imageWidth="{w}" imageHeight="{h}"><TextRegion id="r1"><Coords points="0,0 {w},0 '
           f'{w},{h} 0,{h}"/>{"".join(body)}</TextRegion></Page></PcGts>\n')
    path = xml_dir / f"{stem}.xml"
    path.write_text(xml, "utf-8")
    return path


def write_alto(folder: Path, lines: list[tuple[str, np.ndarray, str]], stem: str = "page1",
               unit_scale: float = 1.0) -> Path:
    """An ALTO v4 file; ``unit_scale`` != 1 writes coordinates in another unit (mm10 ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    page, boxes = compose_page(lines)
    cv2.imwrite(str(folder / f"{stem}.png"), page)
    s = unit_scale
    body = []
    for i, ((text, _, _), (x0, y0, x1, y1)) in enumerate(zip(lines, boxes, strict=True)):
        words = "<SP/>".join(f"<String CONTENT={quoteattr(t)}/>" for t in text.split())
        body.append(f'<TextLine ID="l{i}" HPOS="{x0 * s:.1f}" VPOS="{y0 * s:.1f}" '
                    f'WIDTH="{(x1 - x0) * s:.1f}" HEIGHT="{(y1 - y0) * s:.1f}">{words}</TextLine>')
    h, w = page.shape
    unit = "pixel" if s == 1.0 else "mm10"
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<alto xmlns="{ALTO_NS}"><Description>'
           f'<MeasurementUnit>{unit}</MeasurementUnit><sourceImageInformation><fileName>'
           f'{stem}.png</fileName></sourceImageInformation></Description><Layout><Page ID="p1" '
           f'WIDTH="{w * s:.1f}" HEIGHT="{h * s:.1f}" PHYSICAL_IMG_NR="1"><PrintSpace>'
           f'<TextBlock ID="b1">{"".join(body)}</TextBlock></PrintSpace></Page></Layout></alto>\n')
    path = folder / f"{stem}.xml"
    path.write_text(xml, "utf-8")
    return path


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
