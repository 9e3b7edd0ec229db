"""On every page, a link copied after changing one control carries just that control and opens the same view in a
new context (every page drawn at its defaults, with its screenshot: test_e2e_visual)."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from e2e_helpers import settled
from playwright.sync_api import expect

from scaling_core.lab.data import dataset_table
from ui.pages import DEFAULT_PAGE, PAGES

PICKED_DATASET = dataset_table()["digits"].title
# Per page: the kind of control moved, its label and the URL parameter it sets.
CHANGES = {
    "explorer": ("slider", "φ (compound coefficient)", "phi"),
    "tasks": ("slider", "signal-to-noise (dB)", "video_snr_db"),
    "hardware": ("number", "Batch", "hw_batch"),
    "pareto": ("number", "MACs (G multiply-adds)", "pareto_macs_budget_g"),
    "lab": ("select", "Dataset", "lab_dataset"),
    "spectrum": ("number", "Share to keep", "spectrum_target"),
    "robustness": ("number", "Reference level for the gap", "robust_level"),
    "deployment": ("number", "Latency budget (ms)", "hw_budget_ms"),
    "representation": ("number", "Feature dimension d", "cover_d"),
    "saved": ("text", "Filter by name, author or notes", "saved_filter"),
}


def page_url(server, key: str) -> str:
    return f"{server.url}/{'' if key == DEFAULT_PAGE else key}"


RUN_MS = 240_000  # a first run of the heavier pages (Deployment's thermal simulation) on a busy machine


def opened(page, key: str) -> None:
    """Wait until the page's title is shown and its run has settled."""
    page.wait_for_selector(f"h1:has-text('{PAGES[key].title}')", timeout=90_000)
    settled(page, timeout=RUN_MS)


def change(page, kind: str, label: str) -> None:
    """Move one control: a slider one step right, a number one step up, a text typed, a dataset picked."""
    if kind == "slider":
        page.locator(f"input[type='range'][aria-label='{label}']").focus()
        page.keyboard.press("ArrowRight")
    elif kind == "number":
        box = page.get_by_test_id("stNumberInput").filter(has=page.get_by_label(label, exact=True))
        box.get_by_test_id("stNumberInputStepUp").click()
    elif kind == "text":
        page.get_by_label(label, exact=True).fill("zzz")
        page.keyboard.press("Enter")
    else:
        page.get_by_role("combobox", name=label, exact=True).click()
        page.get_by_role("option", name=PICKED_DATASET).click()


def control(page, kind: str, label: str):
    """The input that holds the control's value (a select box's is the text of its choice)."""
    if kind == "slider":
        return page.locator(f"input[type='range'][aria-label='{label}']")
    return page.get_by_label(label, exact=True)


def value_of(page, kind: str, label: str) -> str:
    """What the control shows."""
    return control(page, kind, label).input_value()


def copied_link(page) -> str:
    """The link in the sidebar's share box."""
    page.get_by_test_id("stSidebar").get_by_text("Share and save", exact=True).click()
    return page.locator("[data-testid='stSidebar'] [data-testid='stCode'] code").inner_text().strip()


# Every page opened twice in a browser takes minutes on two cores: run with -m slow. The default run opens every
# page once (test_e2e_visual), and the Explorer's and the Pareto page's links round trip in their own tests; every
# page's link round trips headless in tests/test_share_links.py.
@pytest.mark.slow
@pytest.mark.parametrize("key", list(PAGES))
def test_a_link_copied_after_one_change_opens_the_same_view(server, browser, key):
    kind, label, parameter = CHANGES[key]
    page = browser.new_page()
    page.goto(page_url(server, key))
    opened(page, key)
    assert urlsplit(page.url).query == ""  # every page at its defaults: nothing to carry
    before = value_of(page, kind, label)
    change(page, kind, label)
    page.wait_for_url(re.compile(rf"[?&]{parameter}="), timeout=RUN_MS)
    settled(page, timeout=RUN_MS)
    shown = value_of(page, kind, label)
    assert shown != before
    link = copied_link(page)
    assert link.startswith(page_url(server, key).rstrip("/")) and list(parse_qs(urlsplit(link).query)) == [parameter]

    fresh = browser.new_context().new_page()  # no cookies or session of the first one
    fresh.goto(link)
    opened(fresh, key)
    # A widget may show its default for a moment on a fresh page before the run's value arrives: wait for it.
    expect(control(fresh, kind, label)).to_have_value(shown, timeout=60_000)
    assert parse_qs(urlsplit(fresh.url).query) == parse_qs(urlsplit(link).query)
    assert fresh.locator("[data-testid='stException']").count() == 0


def test_the_explorer_opens_at_its_own_path_and_at_the_root_with_material_icons(server, browser):
    """/explorer and / both open the Explorer, /explorer keeping its path and its query (φ = 2 shown); the sidebar
    lists it once, every entry with a Material symbol (a font the app serves), none with an emoji."""
    kind, label, _ = CHANGES["explorer"]
    page = browser.new_page()
    for path, phi in (("/explorer", "1"), ("/", "1"), ("/explorer?phi=2", "2")):
        page.goto(server.url + path)
        opened(page, "explorer")
        expect(control(page, kind, label)).to_have_value(phi, timeout=60_000)
        assert page.get_by_text("Page not found").count() == 0
        assert urlsplit(page.url).path == urlsplit(path).path
        links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
        assert links.count() == len(PAGES) and links.filter(has_text=PAGES["explorer"].title).count() == 1
        assert links.locator("[data-testid='stIconMaterial']").count() == len(PAGES)
        assert links.locator("[data-testid='stIconEmoji']").count() == 0
    assert float(parse_qs(urlsplit(page.url).query)["phi"][0]) == 2.0  # the link kept as the page writes it back
