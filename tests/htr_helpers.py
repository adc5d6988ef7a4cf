"""Shared helpers for the handwriting-model tests: crops written by the synthetic generator in
fonts of a chosen role, a tiny untrained model folder, and a workspace of confirmed entries
whose field crops are such handwriting (built through the real store API)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from models.augment import degrade
from models.registry import DEFAULT_SHIPPED
from sohoa.records import Book, FieldKind, Reading
from sohoa.store import EntryResult, Workspace
from sohoa.synth import HandStyle, render_handwriting, sample_value
from sohoa.template import load_template

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "weights" / DEFAULT_SHIPPED


def written(kind: FieldKind, n: int, role: str = "test", seed: int = 0,
            template: str = "ks-2006", noisy: bool = True) -> list[tuple[str, np.ndarray]]:
    """``n`` (truth text, grey crop) pairs of ``kind`` values written in ``role`` fonts."""
    rng = np.random.default_rng(seed)
    specs = [f for f in load_template(template).fields if f.kind == kind]
    out = []
    while len(out) < n:
        v = sample_value(specs[int(rng.integers(len(specs)))], rng)
        if v is None:
            continue
        style = HandStyle.sample(rng, font_role=role, size=float(rng.uniform(26, 38)))
        img = render_handwriting(v.text, style, rng)
        out.append((v.text, degrade(img, rng) if noisy else img))
    return out


def confirmed_workspace(path: Path, names: list[tuple[str, np.ndarray]],
                        dates: list[tuple[str, np.ndarray]] | None = None,
                        date_reading: str = "truth") -> Workspace:
    """A workspace whose entries each hold one name crop (and a date crop), all confirmed with
    the true values; the date reading is the truth text (``"truth"``) or a wrong text."""
    ws = Workspace.open(path, create=True)
    book = ws.add_book(Book(None, "KS", 2008, "01/2008", "Chiềng Cơi", "Thành phố Sơn La",
                            "Sơn La", "ks-2006"))
    page_img = np.full((60, 80, 3), 230, np.uint8)
    page_img[5, : len(names) % 80] = 0
    page, _ = ws.add_page(int(book.id or 0), page_img, "synthetic",
                          hashlib.sha256(page_img.tobytes()).hexdigest())
    results = []
    for i, (_text, img) in enumerate(names):
        crops = {"nksHoTen": img}
        readings = [Reading("nksHoTen", "?", "?", 0.3, "htr")]
        if dates:
            d_text, d_img = dates[i % len(dates)]
            crops["ngayDangKy"] = d_img
            read = d_text if date_reading == "truth" else "00/00/0000"
            readings.append(Reading("ngayDangKy", read, f"norm:{read}", 0.5, "htr"))
        results.append(EntryResult(index=i, bbox=(0, i, 10, i + 1), field_crops=crops,
                                   readings=readings))
    ids = ws.save_page_result(int(page.id or 0), 0.0, results)
    for i, eid in enumerate(ids):
        view = ws.entry_view(eid)
        values = {"nksHoTen": names[i][0]}
        if dates:
            values["ngayDangKy"] = view.readings["ngayDangKy"].value if date_reading == "truth" \
                else "01.01.2008"
        ws.confirm(eid, "clerk", values, view.version)
    return ws


def cer_with(setting: str, on: bool, crops: list[np.ndarray], texts: list[str],
             kind: str = "name", whole_line: bool = False) -> float:
    """Greedy CER of the shipped model on ``crops`` with ``models.preprocess.<setting>``
    switched ``on`` or off for the reading (restored after); ``whole_line``: the crops are
    whole line images, prepared as ``evaluate --lines`` prepares them."""
    from models import preprocess
    from models.checkpoint import load_model_dir
    from models.ctc_decode import greedy
    from models.evaluate import score
    from models.recognize import log_probs

    m = load_model_dir(SHIPPED)
    old = getattr(preprocess, setting)
    setattr(preprocess, setting, on)
    try:
        lps = log_probs(m.module.eval(), m.config.height, crops,
                        whole_line=whole_line or None)
        got = [greedy(lp, m.charset).text for lp in lps]
    finally:
        setattr(preprocess, setting, old)
    return float(score(got, texts, [kind] * len(texts))["cer"])
