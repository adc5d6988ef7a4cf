"""Field sweep tab (stub)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from review_ui.context import AppContext
from review_ui.i18n import t


@dataclass
class SweepUI:
    book: Any
    labelled: list = field(default_factory=list)

def build(ctx: AppContext, lang: Any) -> SweepUI:
    book = gr.Dropdown(choices=[], label=t("vi", "book"))
    return SweepUI(book)
