"""Screenshot of the review entry screen for the docs (real app, real browser, synthetic book).

    .venv/bin/python tests/review_screenshot.py docs/img/review-entry.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from review_helpers import PASSWORD, free_port, make_workspace  # noqa: E402
from test_review_browser import ARGS, CHROMIUM  # noqa: E402


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    from review_ui.app import serve

    with tempfile.TemporaryDirectory() as tmp:
        make_workspace(Path(tmp) / "ws", pages=1)
        port = free_port()
        demo = serve(Path(tmp) / "ws", port=port, block=False)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                page.goto(f"http://127.0.0.1:{port}/")
                page.fill("input[type=text]", "an")
                page.fill("input[type=password]", PASSWORD)
                page.keyboard.press("Enter")
                page.wait_for_selector("#entry-meta", timeout=60_000)
                page.wait_for_function("document.activeElement.tagName === 'INPUT'")
                page.wait_for_timeout(800)
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out), full_page=True)
                browser.close()
        finally:
            demo.close()
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img/review-entry.png"))
