"""Launching Debian's Chromium (``/usr/bin/chromium``) from Playwright: never a browser
Playwright downloads itself (no ``playwright install``)."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, Playwright

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


def launch(playwright: Playwright) -> Browser:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test does)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
