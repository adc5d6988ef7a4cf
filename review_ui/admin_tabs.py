"""Approver and dashboard tabs (stub)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from review_ui.context import AppContext


@dataclass
class TabUI:
    labelled: list = field(default_factory=list)

def build_approver(ctx: AppContext, lang: Any) -> TabUI:
    gr.Markdown("approver")
    return TabUI()

def build_dashboard(ctx: AppContext, lang: Any) -> TabUI:
    gr.Markdown("dash")
    return TabUI()
