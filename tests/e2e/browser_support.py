"""What the browser tests share: Debian's Chromium (Playwright downloads nothing), axe-core run in
the page, the sideways-scroll check, and the guides' screenshots.

Screenshots are written to docs/guides/img/ only when FAIRCOLLECT_GUIDE_SHOTS=1; otherwise the
same tests run and check the same pages without writing anything.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
GUIDE_IMG = Path(__file__).parents[2] / "docs" / "guides" / "img"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def axe_serious(page: Page) -> list[Any]:
    """The page's serious and critical axe-core violations, as (rule, help, node count)."""
    # Evaluated through the DevTools protocol, so the page's CSP (no inline script) stays on.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        (v["id"], v["help"], len(v["nodes"]))
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def sideways(page: Page) -> int:
    """How far the page scrolls sideways (0 or less: it fits the viewport)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def boxes_scrolling(page: Page) -> list[str]:
    """The tables inside `main` wider than their box (each would scroll inside it)."""
    found: list[str] = page.evaluate(
        "[...document.querySelectorAll('main table')]"
        ".filter(t => t.parentElement.scrollWidth > t.parentElement.clientWidth + 1)"
        ".map(t => t.getAttribute('aria-label') || t.closest('[aria-label]')?.getAttribute("
        "'aria-label') || t.className || 'table')"
    )
    return found


def shot(page: Page, name: str) -> Path | None:
    """Save a full-page screenshot for the guides when FAIRCOLLECT_GUIDE_SHOTS=1."""
    if os.environ.get("FAIRCOLLECT_GUIDE_SHOTS") != "1":
        return None
    GUIDE_IMG.mkdir(parents=True, exist_ok=True)
    path = GUIDE_IMG / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
