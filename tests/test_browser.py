"""Every page of each built book, opened in headless Chromium with every outside request
blocked, as a reader without network would open it: it must load, typeset all its math, show
all its images and log no error."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route, sync_playwright

CHROMIUM_ENV = "RECSAE_CHROMIUM"
"""The Chromium executable to drive, when it is not ``chromium`` on the PATH."""

UNRENDERED_MATH = """() => Array.from(document.querySelectorAll('.math'))
    .filter(element => !element.querySelector('mjx-container') || element.querySelector('mjx-merror'))
    .map(element => element.textContent.slice(0, 60))"""
"""The math elements MathJax left as source text or typeset as an error."""

BROKEN_IMAGES = """() => Array.from(document.images)
    .filter(image => !(image.complete && image.naturalWidth > 0))
    .map(image => image.getAttribute('src'))"""

PAGE_OVERFLOW = """() => document.documentElement.scrollWidth - document.documentElement.clientWidth"""
"""How far the page is wider than the window: a table or code cell that neither fits nor
scrolls within its own box pushes the whole page sideways."""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """The server's access log would only bury a failure's message."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium")
    if executable is None:
        pytest.fail(
            f"The browser test needs Chromium: install it (Debian: `apt-get install chromium`) "
            f"or set {CHROMIUM_ENV} to its executable."
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


@contextlib.contextmanager
def _served(folder: Path) -> Iterator[str]:
    """``folder`` on a local port, as a static host would serve it; yields its origin."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _page_problems(browser: Browser, origin: str, path: str) -> list[str]:
    """What is wrong with one page, each as a sentence; an empty list for a page that works."""
    problems: list[str] = []
    context = browser.new_context()

    def keep_to_origin(route: Route) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            problems.append(f"requests {route.request.url} from another origin")
            route.abort()

    context.route("**/*", keep_to_origin)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(f"throws {error}"))
    response = page.goto(f"{origin}/{path}", wait_until="load")
    if response is None or response.status != 200:
        problems.append(f"answers {response.status if response else 'nothing'}, not 200")
    if page.locator(".math").count():
        if page.evaluate("() => Boolean(window.MathJax && window.MathJax.startup)"):
            page.evaluate("() => MathJax.startup.promise")  # resolves once every formula is typeset
        else:
            problems.append("has math but no MathJax to typeset it")
        problems += [f"leaves math unrendered: {text!r}" for text in page.evaluate(UNRENDERED_MATH)]
    page.wait_for_load_state("networkidle")
    problems += [f"shows a broken image: {src}" for src in page.evaluate(BROKEN_IMAGES)]
    if (overflow := page.evaluate(PAGE_OVERFLOW)) > 1:
        problems.append(f"is {overflow} px wider than the window")
    context.close()
    return problems


def test_every_page_works_offline_in_a_browser(browser: Browser, built_book: Path) -> None:
    pages = sorted(
        path.relative_to(built_book).as_posix()
        for path in built_book.rglob("*.html")
        if "_static" not in path.parts  # the theme's template fragments, not pages
    )
    assert "chapters/03_sae.html" in pages
    with _served(built_book) as origin:
        problems = {page: found for page in pages if (found := _page_problems(browser, origin, page))}
    assert not problems, "\n".join(f"{page}: {'; '.join(found)}" for page, found in problems.items())


BROKEN_PAGE = r"""<!DOCTYPE html><html><head>
<script src="https://cdn.example.org/mathjax.js"></script>
<script>console.error("a script failed");</script>
</head><body>
<span class="math">\(x^2\)</span>
<img src="missing.png"><img src="https://images.example.org/figure.png">
<table style="width: 4000px"><tr><td>a table too wide for any window</td></tr></table>
</body></html>"""


def test_the_check_finds_every_kind_of_fault(browser: Browser, tmp_path: Path) -> None:
    (tmp_path / "broken.html").write_text(BROKEN_PAGE)
    with _served(tmp_path) as origin:
        problems = _page_problems(browser, origin, "broken.html")
        missing = _page_problems(browser, origin, "absent.html")
    assert "requests https://cdn.example.org/mathjax.js from another origin" in problems
    assert "requests https://images.example.org/figure.png from another origin" in problems
    assert "a script failed" in problems
    assert "has math but no MathJax to typeset it" in problems
    assert "leaves math unrendered: '\\\\(x^2\\\\)'" in problems
    assert "shows a broken image: missing.png" in problems
    assert any(problem.endswith("px wider than the window") for problem in problems)
    assert "answers 404, not 200" in missing
