"""Accuracy measurement for trainers: match readings to truth, then aggregate and report."""

from sohoa.evaluation.match import FieldPair, pairs_from_page, pairs_from_workspace
from sohoa.evaluation.metrics import (
    auto_accept_curve,
    cer,
    confusions,
    diacritic_split,
    expected_calibration_error,
    reliability_bins,
    wer,
)
from sohoa.evaluation.summary import Summary, summarize

__all__ = [
    "FieldPair",
    "Summary",
    "auto_accept_curve",
    "cer",
    "confusions",
    "diacritic_split",
    "expected_calibration_error",
    "pairs_from_page",
    "pairs_from_workspace",
    "reliability_bins",
    "summarize",
    "wer",
]
