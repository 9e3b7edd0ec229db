"""The first run: the landing page (the Explorer) says what the tool answers and offers three starting points;
each opens its page in a useful state (its title, a number or a chart, no exception)."""

import re

import pytest
from e2e_helpers import settled
from test_e2e_pages import RUN_MS, opened, page_url

from scaling_core.app.views.explorer import STARTING_POINTS
from ui.pages import DEFAULT_PAGE, PAGES


@pytest.mark.parametrize("start", STARTING_POINTS, ids=lambda s: s.key)
def test_each_starting_point_opens_a_useful_page(server, browser, screenshot, start):
    page = browser.new_page(viewport={"width": 1400, "height": 3200})
    page.goto(page_url(server, DEFAULT_PAGE))
    opened(page, DEFAULT_PAGE)
    assert page.get_by_text("What this answers").count() == 1
    page.get_by_test_id("stButton").filter(has_text=start.label).locator("button").first.click(timeout=60_000)
    title = PAGES[start.page].title
    page.wait_for_selector(f"h1:has-text('{title}')", timeout=90_000)
    settled(page, timeout=RUN_MS)
    for name, value in start.changes:  # the state it was opened in is in the link, so it can be shared
        page.wait_for_url(re.compile(rf"[?&]{name}={value}"), timeout=RUN_MS)
    assert page.locator("[data-testid='stException']").count() == 0
    # A number or a chart; on Hardware without a profile yet, the fits it offers.
    useful = "[data-testid='stMetric'], [data-testid='stPlotlyChart'], [data-testid='stDataFrame']"
    # On a loaded machine the page's last sections can draw after the run reports settled: wait for one of them.
    page.locator(useful).or_(page.get_by_text("Quick fit now")).first.wait_for(timeout=RUN_MS)
    assert page.locator(useful).count() > 0 or page.get_by_text("Quick fit now").count() > 0
    screenshot(page, start.key)
