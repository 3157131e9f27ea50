"""The browser the browser tests share: Debian's Chromium driven by Playwright, one for the whole session, on the
example site served by Python's http.server on 127.0.0.1; a Tab records console errors and requests that leave
localhost. The fixtures are registered once, in conftest.py, so every test module uses the same browser."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest
from conftest import ROOT

OUT = ROOT / "test-output" / "browser"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 15_000


def find_chromium() -> str | None:
    """Chromium's executable: $QMS_CHROMIUM, else the first of the usual names on PATH."""
    if os.environ.get("QMS_CHROMIUM"):
        return os.environ["QMS_CHROMIUM"]
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def site_url(example_site: Path) -> Iterator[str]:
    """The example site served on a free port of 127.0.0.1."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(example_site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():  # noqa: ANN201 - playwright's Browser
    """One headless Chromium for the session; skipped with the reason when none can be had."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright's Python package is not installed (pip install -e '.[test]')")
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium on this machine: install Debian's chromium package (apt-get install chromium), "
                    "as .ci/run does, or set QMS_CHROMIUM to a Chromium executable")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh, temporary user-data-dir of its own.
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A browser page on the served site that records console errors and requests leaving localhost."""

    page: object
    base: str
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        """Open a page of the site; fails at once when the site has no such page."""
        response = self.page.goto(self.base + path, wait_until="load")  # type: ignore[attr-defined]
        assert response is not None and response.status == 200, f"{path or '/'}: not in the built site"

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        path = OUT / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
        return path

    def assert_clean(self) -> None:
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.external_requests, f"requests that left localhost: {self.external_requests}"


@pytest.fixture
def tab(browser, site_url: str) -> Iterator[Tab]:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    result = Tab(page, site_url)
    local_host = urlsplit(site_url).netloc

    def route(route, request) -> None:  # noqa: ANN001
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != local_host:
            result.external_requests.append(request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", route)
    page.on("console", lambda msg: msg.type == "error" and result.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: result.console_errors.append(f"uncaught: {exc}"))
    yield result
    context.close()
