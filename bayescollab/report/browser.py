"""Open a written report in a real headless Chromium and say what a reader would see.

Used by the test suite and by ``scripts/report_screenshot.py`` (the README picture). It drives
the system's Chromium (Debian's ``chromium`` package) through Playwright's DevTools client;
Playwright's own browser download is never used, so it works on a closed network. Both are
optional: :func:`find_chromium` returns ``None`` without a browser, and :func:`inspect_report`
raises with the install commands when either is missing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bayescollab.report import SECTIONS

__all__ = ["CHROMIUM_FLAGS", "INSTALL_HINT", "PageReport", "find_chromium", "inspect_report"]

INSTALL_HINT = (
    "install Chromium and the test extra: `apt-get install -y chromium` (Debian/Ubuntu) and "
    "`pip install -e '.[test]'` (Playwright's DevTools client; no browser download is needed)"
)
#: flags that let Chromium start headless as root on a machine without network or GPU
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: A4 at 96 CSS px per inch, less the print stylesheet's side margins (14 mm each)
A4_WIDTH_PX = round(210 / 25.4 * 96)
A4_CONTENT_PX = round((210 - 28) / 25.4 * 96)
_MEASURE = """() => ({
  sections: Array.from(document.querySelectorAll('section[data-section]')).map(s => ({
    key: s.dataset.section, id: s.id,
    heading: (s.querySelector('h2, h3') || {}).textContent || ''})),
  images: Array.from(document.images).map(i => ({
    alt: i.alt, natural: [i.naturalWidth, i.naturalHeight],
    box: [i.getBoundingClientRect().width, i.getBoundingClientRect().height]})),
  scripts: document.scripts.length,
  text: document.body.innerText,
})"""


@dataclass
class PageReport:
    """What the browser saw: console messages, sections, image sizes, on screen and in print."""

    console: list[tuple[str, str]] = field(default_factory=list)  # (type, text)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    print_images: list[dict[str, Any]] = field(default_factory=list)
    scripts: int = 0
    text: str = ""
    pdf_pages: int = 0

    @property
    def errors(self) -> list[str]:
        """Console errors and warnings, uncaught page errors and failed requests, as one list."""
        bad = [f"console {t}: {m}" for t, m in self.console if t in ("error", "warning", "assert")]
        return bad + [f"page error: {e}" for e in self.page_errors] + self.failed_requests

    def missing_sections(self, expected: tuple[tuple[str, str], ...] = SECTIONS) -> list[str]:
        seen = {s["key"] for s in self.sections}
        return [key for key, _ in expected if key not in seen]


def find_chromium() -> str | None:
    """The Chromium executable (``$CHROMIUM``, else ``chromium`` / ``chromium-browser`` on PATH)."""
    candidates = [os.environ.get("CHROMIUM"), "chromium", "chromium-browser"]
    for name in candidates:
        if name and (found := shutil.which(name)):
            return found
    return None


def inspect_report(
    path: Path | str,
    *,
    screenshot: Path | str | None = None,
    pdf: Path | str | None = None,
    viewport: tuple[int, int] = (1100, 900),
    full_page: bool = False,
    anchor: str | None = None,
) -> PageReport:
    """Load ``path`` in headless Chromium, measure it on screen and as printed A4.

    ``screenshot`` saves a PNG of the screen (scrolled to the element id ``anchor`` if given, or
    the whole page with ``full_page``); ``pdf`` saves the A4 print. The PDF's page count is read
    either way.
    """
    executable = find_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError(f"Playwright is not installed; {INSTALL_HINT}") from None
    if executable is None:
        raise RuntimeError(f"no Chromium found; {INSTALL_HINT}")
    seen = PageReport()
    url = Path(path).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="bayescollab-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport={"width": viewport[0], "height": viewport[1]},
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: seen.console.append((m.type, m.text)))
            page.on("pageerror", lambda e: seen.page_errors.append(str(e)))
            page.on("requestfailed", lambda r: seen.failed_requests.append(f"request failed: {r.url}"))
            page.goto(url + (f"#{anchor}" if anchor else ""), wait_until="load")
            measured = page.evaluate(_MEASURE)
            seen.sections, seen.images = measured["sections"], measured["images"]
            seen.scripts, seen.text = measured["scripts"], measured["text"]
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=full_page)
            page.emulate_media(media="print")
            page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1123})
            seen.print_images = page.evaluate(_MEASURE)["images"]
            data = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            if pdf is not None:
                Path(pdf).write_bytes(data)
            seen.pdf_pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
        finally:
            context.close()
    return seen
