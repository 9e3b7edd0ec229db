"""Saving a result in a real browser, finding it on Saved results, and opening its link after a restart."""

import re

from e2e_helpers import settled


def test_a_saved_result_is_listed_survives_a_restart_and_opens_from_its_link(server, browser, screenshot):
    page = browser.new_page()
    page.goto(f"{server.url}/?phi=1.5&alpha=1.2&beta=1.1&gamma=1.15")
    page.wait_for_selector("text=Stage by stage", timeout=60_000)
    settled(page)
    page.get_by_text("Share and save").click()
    page.get_by_role("textbox", name="Name").fill("drone candidate")
    page.get_by_role("textbox", name="Author").fill("ana")
    page.get_by_role("button", name="Save this result").click()
    message = page.get_by_text(re.compile(r"Saved as result #\d+")).inner_text(timeout=60_000)
    result_id = int(re.search(r"#(\d+)", message).group(1))
    assert f"/saved?result={result_id}" in message

    page.goto(f"{server.url}/saved")
    # Table cells live in the data grid's accessible (hidden) layer, so attached, not visible.
    page.wait_for_selector("[role='gridcell']:has-text('drone candidate')", state="attached", timeout=60_000)
    settled(page)
    screenshot(page, "saved-list")

    server.restart()
    reopened = browser.new_context().new_page()
    reopened.goto(f"{server.url}/saved?result={result_id}")
    reopened.wait_for_selector(f"h3:has-text('#{result_id} drone candidate')", timeout=60_000)
    settled(reopened)
    for value in ("ana", "explorer", "1.5"):  # author, page and φ among the key figures
        reopened.wait_for_selector(f"[role='gridcell']:text-is('{value}')", state="attached", timeout=30_000)
    screenshot(reopened, "saved-opened")

    root_link = browser.new_context().new_page()
    root_link.goto(f"{server.url}/?result={result_id}")
    root_link.wait_for_selector(f"h3:has-text('#{result_id} drone candidate')", timeout=60_000)
    assert "/saved" in root_link.url
