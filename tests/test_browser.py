"""The dashboard in a real browser: a served page, a share link, a keyboard-moved slider."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from scaling_core import Recipe, RoundingPolicy, count, scale_recipe

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]

def _requirements_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (Debian package chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (requirements-dev.txt)"
    return None


@pytest.fixture(scope="module")
def server():
    missing = _requirements_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {missing}")
        pytest.skip(missing)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                "--server.address", "127.0.0.1", "--server.headless", "true"],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("streamlit did not answer /_stcore/health within 60 s")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


METRICS_ON_PAGE = 12


def metric_values(page) -> list[str]:
    """The metric values once the run has finished: all metrics drawn, none stale, no run in progress."""
    page.wait_for_function(
        f"""() => document.querySelectorAll("[data-testid='stMetricValue']").length === {METRICS_ON_PAGE}
              && !document.querySelector("[data-stale='true']")
              && !document.querySelector("[data-testid='stStatusWidget']")""", timeout=30_000)
    return page.locator("[data-testid='stMetricValue']").all_inner_texts()


def test_share_link_and_slider_round_trip_in_a_browser(server, browser):
    page = browser.new_page()
    page.goto(f"{server}/?phi=2&alpha=1.25&beta=1.1&gamma=1.1&res_multiple=16")
    page.wait_for_selector("text=Stage by stage", timeout=30_000)
    assert "phi=2.0" in page.url and "res_multiple=16" in page.url
    page.locator("input[type='range'][aria-label='φ (compound coefficient)']").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**phi=2.01**", timeout=30_000)
    shown = metric_values(page)
    link = page.url
    expected = count(scale_recipe(Recipe(1.25, 1.1, 1.1), 2.01, policy=RoundingPolicy(resolution_multiple=16)))
    assert f"{expected.macs:,}" in shown and f"{expected.params:,}" in shown

    fresh = browser.new_page()
    fresh.goto(link)
    assert metric_values(fresh) == shown
    assert fresh.url == link
