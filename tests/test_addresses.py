"""Addresses anywhere in the country as training text (``sohoa.synth.addresses``)."""

from __future__ import annotations

import re

import numpy as np

from models.charset import Charset
from sohoa.fields.places import parse_place
from sohoa.synth.addresses import nationwide_address


def _many(n: int, seed: int = 3) -> list[str]:
    rng = np.random.default_rng(seed)
    return [nationwide_address(rng) for _ in range(n)]


def test_addresses_name_real_units_all_over_the_country() -> None:
    texts = _many(300)
    provinces = set()
    parsed = 0
    for t in texts:
        p = parse_place(t)
        top = [u for u in p.units if u.level == 1]
        if p.ok and top:
            parsed += 1
            provinces.add(top[0].name)
    # the gazetteer finds the province in most (a space alone between parts defeats it)
    assert parsed >= 0.8 * len(texts)
    assert len(provinces) >= 40  # not the six north-western provinces of the books
    assert any(p in provinces for p in ("Hà Nội", "Hồ Chí Minh", "Đà Nẵng"))


def test_addresses_are_written_in_several_ways_the_model_can_spell() -> None:
    texts = _many(300, seed=4)
    charset = Charset.default()
    assert all(set(t) <= set(charset.chars) for t in texts)
    assert len(set(texts)) == len(texts)
    joined = "\n".join(texts)
    assert re.search(r"\d+/\d+", joined)  # house numbers with a slash
    assert re.search(r"\b(ngõ|hẻm|kiệt|ngách) \d+", joined)  # lanes
    assert re.search(r"\b(TP|P|Q|H|X)\.", joined)  # abbreviated units
    assert " - " in joined and ", " in joined
    assert any(t.split()[0] in ("Thôn", "Xóm", "Ấp", "Bản", "Tổ") for t in texts)


def test_training_source_draws_addresses_as_places() -> None:
    from models.data import SynthSource

    rng = np.random.default_rng(5)
    src = SynthSource("train", address_share=1.0)
    kinds = {src._text(rng)[0] for _ in range(20)}
    assert kinds == {"place"}
    plain = SynthSource("train")
    texts = [plain._text(np.random.default_rng(9))[1] for _ in range(3)]
    again = [plain._text(np.random.default_rng(9))[1] for _ in range(3)]
    assert texts == again  # address_share 0 draws as before (no extra random numbers)
