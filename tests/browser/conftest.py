"""A real browser for the console's tests: Debian's Chromium (``/usr/bin/chromium``, which
``scripts/test`` installs when missing) driven by Playwright's Python package — never a browser
Playwright downloads itself. A browser per test, with a fresh context (cookies, storage): not
one per session, because Playwright's sync API keeps an event loop running while it is open,
which would stop the PostgreSQL helpers (``asyncio.run``) that set servers up between tests.

Screenshots go to the test's temporary directory, or to ``DENSHO_CONSOLE_SCREENSHOTS`` when set
(``scripts/console-screenshots`` sets it to ``docs/`` to refresh the README's pictures).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test does)")
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshots(tmp_path: Path, store_kind: str) -> Path:
    """Where this test saves its screenshots (docs/ only from the SQLite run)."""
    chosen = os.environ.get("DENSHO_CONSOLE_SCREENSHOTS")
    if chosen and store_kind == "sqlite":
        return Path(chosen)
    return tmp_path
