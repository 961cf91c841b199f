"""Debian's chromium driven by Playwright (never a downloaded browser), for the browser tests and benches."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium keeps trying to reach Google, which this network refuses.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


@contextmanager
def launch_chromium():
    """A headless Debian chromium for the duration of the block."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=5000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def staff_pages(browser, server, **context_options):
    """``open_as(role, path, **options)``: a new staff member of ``role`` signed in at ``path`` in a context of
    its own (``context_options``, overridden per call); every context is closed afterwards, and the block
    fails on any JavaScript error a page raised."""
    contexts, errors = [], []

    def open_as(role: str, path: str, **options):
        username, password = server.staff(role)
        context = browser.new_context(**{**context_options, **options})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server.base_url}/login?next={path}")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"
