"""Every page served and drawn in a real browser without an exception; a screenshot of each."""

import pytest
from e2e_helpers import settled

from ui.pages import DEFAULT_PAGE, PAGES


@pytest.mark.parametrize("key", list(PAGES))
def test_every_page_draws_in_the_browser(server, browser, screenshot, key):
    page = browser.new_page()
    page.goto(f"{server.url}/{'' if key == DEFAULT_PAGE else key}")
    page.wait_for_selector(f"h1:has-text('{PAGES[key].title}')", timeout=90_000)
    settled(page, timeout=120_000)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, key)
