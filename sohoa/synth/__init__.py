"""Synthetic register books: handwritten entries on printed, ruled, scanned-looking pages with
ground truth in the ``read`` contract shape. Feeds tests, the demo, benchmarks and the
handwriting model's training.

Public API::

    generate_page(template, seed, difficulty, font_role, page_no, rotation, dpi) -> SynthPage
    render_handwriting(text, style, rng) -> grey uint8 line image
    HandStyle.sample(rng, font_role="train")
    fonts_for_role("train" | "test" | "bench") -> list[Path]   (disjoint sets)
    sample_value(field, rng, context) -> FieldValue | None
    render_bad_page(kind, seed) -> RGB uint8 ("blank", "no_table", "torn", "wall")
    page_plan(rng, rows) / first_so(template, seed, page_no, layout): a page's blank and
        cancelled rows and its first registration number, without drawing it
    generate_page(..., layout="proportions"): a varied layout family (FAMILIES; HELD_OUT ones
        are for benchmarks only, TRAINING ones for anything else)
"""

from sohoa.synth.bad import BAD_KINDS, render_bad_page
from sohoa.synth.families import FAMILIES, HELD_OUT, TRAINING, LayoutFamily
from sohoa.synth.fonts import FontError, fonts_for_role
from sohoa.synth.hand import HandStyle, render_handwriting, render_ink
from sohoa.synth.page import PagePlan, SynthError, SynthPage, first_so, generate_page, page_plan
from sohoa.synth.values import FieldValue, ValueContext, sample_value

__all__ = [
    "BAD_KINDS",
    "FAMILIES",
    "HELD_OUT",
    "TRAINING",
    "LayoutFamily",
    "FieldValue",
    "FontError",
    "HandStyle",
    "PagePlan",
    "SynthError",
    "SynthPage",
    "ValueContext",
    "first_so",
    "fonts_for_role",
    "generate_page",
    "page_plan",
    "render_bad_page",
    "render_handwriting",
    "render_ink",
    "sample_value",
]
