"""A real browser for the console's tests: Debian's Chromium (``/usr/bin/chromium``, which
``scripts/test`` installs when missing) driven by Playwright's Python package — never a browser
Playwright downloads itself. A browser per test, with a fresh context (cookies, storage): not
one per session, because Playwright's sync API keeps an event loop running while it is open,
which would stop the PostgreSQL helpers (``asyncio.run``) that set servers up between tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.browser.chromium import TIMEOUT_MS, launch


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = launch(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()
