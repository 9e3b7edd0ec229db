"""Fixtures of the end-to-end tests: a served app on its own SQLite store, Debian's Chromium, screenshots."""

import os
from pathlib import Path

import pytest
from e2e_helpers import CHROMIUM, FLAGS, SCREENSHOTS, Server, requirements_missing, settled


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    missing = requirements_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {missing}")
        pytest.skip(missing)
    running = Server(f"sqlite:///{tmp_path_factory.mktemp('e2e-store') / 'store.sqlite'}")
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot as test-output/e2e/<test>-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        # Streamlit scrolls inside its main container, so a tall window, not full_page, shows the whole page.
        page.set_viewport_size({"width": 1400, "height": 3200})
        settled(page)
        page.wait_for_function(  # charts and tables draw lazily, after the run has settled
            """() => {
                const shown = selector => [...document.querySelectorAll(selector)].filter(e => {
                    const box = e.getBoundingClientRect();  // wholly in the window, not folded away
                    return box.height > 0 && box.bottom < window.innerHeight && e.checkVisibility(); });
                // a chart not yet mounted shows as a skeleton: wait for it too, or the check passes on nothing
                return !document.querySelector("[data-testid='stSkeleton']")
                    && shown("[data-testid='stPlotlyChart']").every(c => c.querySelector(".main-svg"))
                    && shown("[data-testid='stDataFrame']").every(t => t.querySelector("canvas")); }""",
            timeout=60_000,
        )
        page.wait_for_timeout(500)
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
