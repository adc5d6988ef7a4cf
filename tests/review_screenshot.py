"""Screenshot of the review entry screen for the docs (real app, real browser, synthetic book).

    .venv/bin/python tests/review_screenshot.py docs/img/review-entry.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from review_helpers import ARGS, CHROMIUM, PASSWORD, free_port, make_workspace  # noqa: E402


def main(out: Path) -> None:
    """Screenshots for the docs: login page, entry screen at 1366x768 and 1920x1080 (a field
    focused, its box outlined), and the field sweep at 1366x768."""
    from playwright.sync_api import sync_playwright

    from review_ui.app import serve

    folder = out.parent
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        info = make_workspace(Path(tmp) / "ws", pages=2, silent_blank=True)
        port = free_port()
        demo = serve(Path(tmp) / "ws", port=port, block=False)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for w, h in ((1366, 768), (1920, 1080)):
                    page = browser.new_page(viewport={"width": w, "height": h})
                    page.goto(f"http://127.0.0.1:{port}/")
                    if w == 1366:
                        page.screenshot(path=str(folder / "review-login.png"))
                    page.fill("#username", "an")
                    page.fill("#password", PASSWORD)
                    page.keyboard.press("Enter")
                    page.wait_for_selector("#entry-meta", timeout=60_000)
                    page.wait_for_function("document.activeElement.tagName === 'INPUT'")
                    page.wait_for_timeout(800)
                    page.screenshot(path=str(folder / f"review-entry-{w}.png"))
                    if w == 1366:
                        page.screenshot(path=str(out))
                        page.get_by_role("tab", name="Rà theo trường").click()
                        page.click("#sweep-book input")
                        page.locator("ul.option-list li").last.click()
                        page.wait_for_timeout(500)
                        page.click("#sweep-field input")
                        page.locator("ul.option-list li", has_text="Họ tên mẹ").first.click()
                        page.locator("#sweep-bar input[type=checkbox]").uncheck()
                        page.click("#sweep-load")
                        page.wait_for_selector("#sweep-rows .srow .sstat", timeout=30_000)
                        page.wait_for_timeout(500)
                        page.screenshot(path=str(folder / "review-sweep-1366.png"))
                    page.close()
                browser.close()
        finally:
            demo.close()
    print(folder, info.book_id)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img/review-entry.png"))
