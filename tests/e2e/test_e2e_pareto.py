"""The Pareto page in a real browser: the front's points are drawn, and its share link carries user recipes."""

import re

from e2e_helpers import settled

from scaling_core.app.state import parse_query
from scaling_core.app.views.pareto import pareto_result

QUERY = "pareto_cost=params&pareto_phi_max=4.0&pareto_recipes=wide%20and%20deep,1.3,1.2,1.0"


def test_the_front_is_drawn_and_its_link_reopens_it(server, browser, screenshot):
    page = browser.new_page()
    page.goto(f"{server.url}/pareto?{QUERY}")
    heading = page.get_by_text(re.compile(r"The front: \d+ configurations"))
    text = heading.inner_text(timeout=90_000)
    settled(page)
    state, errors = parse_query(dict(pair.split("=") for pair in QUERY.replace("%20", " ").split("&")))
    assert not errors
    expected = pareto_result(state).front
    assert text == f"The front: {len(expected)} configurations"
    page.wait_for_selector(".js-plotly-plot .scatterlayer .point", timeout=60_000)
    assert page.locator(".js-plotly-plot .scatterlayer .point").count() >= len(expected)
    assert page.locator(".js-plotly-plot .legendtext", has_text="wide and deep").count() == 1
    screenshot(page, "pareto")

    page.get_by_text("Share and save").click()
    link = page.locator("[data-testid='stSidebar'] [data-testid='stCode'] code").inner_text().strip()
    assert "/pareto?" in link and "pareto_cost=params" in link and "wide+and+deep" in link
    fresh = browser.new_context().new_page()
    fresh.goto(link)
    assert fresh.get_by_text(re.compile(r"The front: \d+ configurations")).inner_text(timeout=90_000) == text
