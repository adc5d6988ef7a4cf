"""Places on whole lines of unknown origin are read with the address LM (register place values
and addresses anywhere in the country), a register cell's place with the register's place LM
(``ocr.htr.ADDRESS_LM_FILE``, ``models.charlm.address_lm``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from models.charlm import NGramCharLM, address_lm, kind_lm
from sohoa.records import FieldKind


@pytest.fixture(scope="module")
def shipped() -> Path:
    from models.registry import DEFAULT_SHIPPED, find_model

    return find_model(DEFAULT_SHIPPED)


def test_shipped_lms_are_rebuilt_byte_for_byte(shipped: Path, tmp_path: Path) -> None:
    address_lm().save(tmp_path / "address.json")
    kind_lm("place").save(tmp_path / "place.json")
    assert (tmp_path / "address.json").read_bytes() == (shipped / "address_lm.json").read_bytes()
    assert (tmp_path / "place.json").read_bytes() == (shipped / "place_lm.json").read_bytes()
    with pytest.raises(ValueError, match="address_share"):
        kind_lm("place", n=10, address_share=1.5)


def _logp(lm: NGramCharLM, text: str) -> float:
    hook = lm.as_hook()
    return sum(hook(text[:i], c) for i, c in enumerate(text))


def test_address_lm_knows_town_addresses(shipped: Path) -> None:
    place = NGramCharLM.load(shipped / "place_lm.json")
    address = NGramCharLM.load(shipped / "address_lm.json")
    town = "165/1 ngõ 64, P. Tam Hiệp, TP. Biên Hòa, T. Đồng Nai"
    register = "xã Chiềng Mung, huyện Mai Sơn, tỉnh Sơn La"
    assert _logp(address, town) > _logp(place, town) + 5
    # the register's own places stay likely (within a few nats)
    assert _logp(address, register) > _logp(place, register) - 5


def _address_lines(n: int, seed: int):
    from models.lines import LabelledLine
    from sohoa.synth.addresses import nationwide_address
    from sohoa.synth.pen import render_stroke_line
    from sohoa.synth.stroke_writer import StrokeWriter

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):  # tuning writers (seeds 900,000+): never trained on, never held out
        t = nationwide_address(rng)
        w = StrokeWriter.sample(900_000 + seed * 100 + i, x_height=13.0)
        out.append(LabelledLine(render_stroke_line(t, w, rng), t, str(i), f"a{i}.png"))
    return out


def test_whole_lines_read_places_with_the_address_lm(shipped: Path, tmp_path: Path) -> None:
    from rapidfuzz.distance import Levenshtein

    from models.lines_run import read_lines
    from ocr import get_engine

    without = tmp_path / "no-address-lm"
    shutil.copytree(shipped, without)
    (without / "address_lm.json").unlink()
    eng = get_engine("htr", device="cpu", model_dir=shipped)
    old = get_engine("htr", device="cpu", model_dir=without)
    assert eng.line_decoder() is not eng.decoder
    assert old.line_decoder() is old.decoder  # a folder without one reads as before
    assert eng.line_decoder().hooks[FieldKind.NAME] is eng.decoder.hooks[FieldKind.NAME]

    lines = _address_lines(24, seed=7)
    truths = [ln.text for ln in lines]
    n = sum(map(len, truths))

    def cer(preds: list[tuple[str, float]]) -> float:
        return sum(Levenshtein.distance(p, t) for (p, _), t in zip(preds, truths,
                                                                  strict=True)) / n

    new, before = read_lines(eng, lines, "place"), read_lines(old, lines, "place")
    assert cer(new) < cer(before), (cer(new), cer(before))  # 9.2 against 12.0 %
    assert not eng.whole_lines  # read_lines leaves the engine as it found it
    # a register cell's place is read with the register's place LM, as before
    from sohoa.records import FieldCrop

    crops = [FieldCrop("f", FieldKind.PLACE, ln.image, (0, 0, 1, 1)) for ln in lines[:6]]
    assert [r.text for r in eng.recognize(crops, FieldKind.PLACE)] == \
        [r.text for r in old.recognize(crops, FieldKind.PLACE)]
