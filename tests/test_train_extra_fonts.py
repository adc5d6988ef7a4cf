"""Extra training hands: installed fonts outside every role, each used only for lines it can
write (sohoa.synth.fonts.extra_training_fonts, models.data.SynthSource)."""

from __future__ import annotations

import numpy as np
import pytest

from models.data import SynthSource, extra_font_for
from sohoa.synth import fonts_for_role
from sohoa.synth.fonts import ROLES, extra_training_fonts, font_codepoints


def test_extra_fonts_are_never_test_or_bench_fonts():
    hand, printed = extra_training_fonts()
    if not hand and not printed:
        pytest.skip("no extra fonts installed (make setup installs the train extra)")
    role_names = {p.name for r in ROLES for p in fonts_for_role(r)}
    assert not role_names & {p.name for p in (*hand, *printed)}
    assert all(p.exists() for p in (*hand, *printed))


def test_a_line_gets_only_a_font_that_has_all_its_letters():
    hand, printed = extra_training_fonts()
    if not printed:
        pytest.skip("no Vietnamese print fonts installed")
    rng = np.random.default_rng(0)
    for text in ("Nguyễn Thị Hường", "12/05/1998", "Mường Thanh"):
        need = {ord(c) for c in text if not c.isspace()}
        for _ in range(20):
            font = extra_font_for(text, rng)
            assert font is not None and need <= font_codepoints(font)


def test_synth_source_records_the_extra_fonts_it_may_use():
    src = SynthSource("train", extra_share=1.0)
    rng = np.random.default_rng(1)
    s = src.sample(rng)
    assert s.image.ndim == 2 and s.text
    desc = src.describe()
    assert desc["extra_share"] == 1.0
    assert "extra_fonts" in desc
    assert "extra_fonts" not in SynthSource("train").describe()
