"""Every page at its defaults in Chromium at 1400 px, checked as a person would look at it: no exception, no
metric whose label or value is cut, every plotly figure's data finite and each log axis of at most
style.MAX_LOG_DECADES decades (read from the drawn figures in the page). A screenshot of each page is saved."""

from urllib.parse import urlsplit

import pytest
from test_e2e_pages import opened, page_url

from scaling_core.app.plots.style import MAX_LOG_DECADES
from ui.pages import PAGES

CUT_METRICS = """() => [...document.querySelectorAll(
        "[data-testid='stMetricValue'], [data-testid='stMetricLabel']")]
    .filter(e => [e, ...e.querySelectorAll('*')].some(
        x => x.scrollWidth > x.clientWidth + 1 || (x.innerText || '').trim().endsWith('…')))
    .map(e => e.getAttribute('data-testid') + ': ' + e.innerText.trim())"""

FIGURE_PROBLEMS = """maxDecades => [...document.querySelectorAll('.js-plotly-plot')].flatMap(plot => {
    const layout = plot._fullLayout, problems = [];
    const title = (layout.title && layout.title.text) || '(untitled)';
    for (const name of Object.keys(layout)) {
        const axis = layout[name];
        if (/^[xy]axis\\d*$/.test(name) && axis.type === 'log' && axis.range) {
            const span = Math.abs(axis.range[1] - axis.range[0]);
            if (!(span <= maxDecades)) problems.push(`${title}: ${name} spans ${span.toFixed(1)} decades`);
        }
    }
    for (const trace of plot._fullData) {
        for (const letter of ['x', 'y', 'z']) {
            const values = trace[letter];
            if (!values || typeof values === 'string' || !values.length) continue;
            const flat = Array.from(values).flat ? Array.from(values).flat(2) : Array.from(values);
            if (flat.some(v => typeof v === 'number' && !Number.isFinite(v)))
                problems.push(`${title}: ${trace.name || trace.type} has a non-finite ${letter}`);
        }
    }
    return problems;
})"""


@pytest.mark.parametrize("key", list(PAGES))
def test_every_page_reads_whole_at_1400_px(server, browser, screenshot, key):
    page = browser.new_page(viewport={"width": 1400, "height": 3200})
    page.goto(page_url(server, key))
    opened(page, key)
    # Charts load lazily (a grey skeleton first): wait until every one is drawn, or the checks below see none.
    page.wait_for_function(
        """() => !document.querySelector("[data-testid='stSkeleton']")
              && [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
                    .every(c => c.querySelector('.js-plotly-plot'))""",
        timeout=120_000,
    )
    screenshot(page, key)
    assert page.locator("[data-testid='stException']").count() == 0
    assert urlsplit(page.url).query == ""  # a page at its defaults has nothing to carry in its link
    problems = page.evaluate(CUT_METRICS) + page.evaluate(FIGURE_PROBLEMS, MAX_LOG_DECADES)
    assert not problems, problems
