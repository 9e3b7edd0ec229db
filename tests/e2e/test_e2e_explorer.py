"""Explorer in a real browser: a share link, a keyboard-moved slider, the link opened in a new browser context."""

from e2e_helpers import settled

from scaling_core import Recipe, RoundingPolicy, count, scale_recipe

METRICS = 13  # the Explorer's metrics for a custom recipe: 4 + 4 + 4 cost figures and the top-1 estimate


def metric_values(page) -> list[str]:
    """The metric values once the run has drawn all of them."""
    page.wait_for_function(
        f"""() => document.querySelectorAll("[data-testid='stMetricValue']").length === {METRICS}""", timeout=60_000
    )
    settled(page)
    return page.locator("[data-testid='stMetricValue']").all_inner_texts()


def test_slider_changes_the_macs_and_the_share_link_reopens_the_same_view(server, browser, screenshot):
    page = browser.new_page()
    page.goto(f"{server.url}/?phi=2.02&alpha=1.25&beta=1.1&gamma=1.1&res_multiple=16")
    page.wait_for_selector("text=Stage by stage", timeout=60_000)
    assert "phi=2.02" in page.url and "res_multiple=16" in page.url
    before = metric_values(page)
    page.locator("input[type='range'][aria-label='φ (compound coefficient)']").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**phi=2.03**", timeout=30_000)
    page.wait_for_function(
        """(old) => {
        const values = [...document.querySelectorAll("[data-testid='stMetricValue']")].map(e => e.innerText);
        return values.join("|") !== old && !document.querySelector("[data-stale='true']"); }""",
        arg="|".join(before),
        timeout=30_000,
    )
    shown = metric_values(page)
    expected = count(scale_recipe(Recipe(1.25, 1.1, 1.1), 2.03, policy=RoundingPolicy(resolution_multiple=16)))
    assert f"{expected.macs:,}" in shown and f"{expected.params:,}" in shown
    assert f"{expected.macs:,}" not in before
    screenshot(page, "explorer")

    page.get_by_text("Share and save").click()
    link = page.locator("[data-testid='stSidebar'] [data-testid='stCode'] code").inner_text().strip()
    assert link.startswith(server.url) and "phi=2.03" in link and "res_multiple=16" in link
    assert "beta=" not in link  # β = 1.1 is the default: a link carries only what differs

    fresh = browser.new_context().new_page()  # no cookies or session of the first one
    fresh.goto(link)
    assert metric_values(fresh) == shown
    assert "phi=2.03" in fresh.url
