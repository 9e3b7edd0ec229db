"""Every page in Chromium at 1400 px and at 1000 px wide (the sidebar open: a chart beside another is 262 px wide
there), checked as a person would look at it, from the drawn figures (plotly's `_fullLayout` and the SVG): no
exception; no metric whose label or value is cut (at 1000 px a cut metric is reported as an expected failure: the
pages' rows of four metrics are too narrow there, which is no figure's doing); and in every figure

- every point inside its axes' ranges as drawn (a log axis' range is in log10 units), the data finite;
- at least three tick labels on each log axis, of at most style.MAX_LOG_DECADES decades; no tick labels running
  together (slanted ones a line height apart across the slant);
- the title, subtitle, axis titles, labels and legend inside the figure, none touching another; the legend over no
  plot area;
- each label on an axis inside that axis' panel (plotly.js moves one on a panel without data elsewhere).

The store holds a latency profile and a measurement, so the Hardware and Deployment pages draw every figure; the
Deployment page is also drawn from an empty store (the blur and the thermal ceiling instead). A full-page screenshot
of each is saved as test-output/e2e/<page>-<store>-<width>px.png.
"""

from urllib.parse import urlsplit

import plotly.graph_objects as go
import pytest
from deployment_helpers import fill_store
from e2e_helpers import SCREENSHOTS, Server, requirements_missing, settled
from plotly.subplots import make_subplots
from test_e2e_pages import opened, page_url

from scaling_core.app.plots import style
from scaling_core.app.plots.style import MAX_LOG_DECADES
from scaling_core.storage.store import Store
from ui.pages import PAGES

WIDTHS = (1400, 1000)

CUT_METRICS = """() => [...document.querySelectorAll(
        "[data-testid='stMetricValue'], [data-testid='stMetricLabel']")]
    .filter(e => [e, ...e.querySelectorAll('*')].some(
        x => x.scrollWidth > x.clientWidth + 1 || (x.innerText || '').trim().endsWith('…')))
    .map(e => e.getAttribute('data-testid') + ': ' + e.innerText.trim())"""

FIGURE_PROBLEMS = """(maxDecades) => [...document.querySelectorAll('.js-plotly-plot')].flatMap(plot => {
    const L = plot._fullLayout, problems = [];
    if (!L) return [];
    const name = ((L.title && L.title.text) || '(untitled)').replace(/<[^>]*>/g, '');
    const say = text => problems.push(`${name}: ${text}`);
    const fig = plot.getBoundingClientRect();
    const rect = e => e.getBoundingClientRect();
    const shown = r => r.width > 0 && r.height > 0;
    // A figure in a tab that is not open (still in the page while its rerun removes it) is not on screen.
    if (!shown(fig)) return [];
    const inside = (r, o, slack = 1) => r.left >= o.left - slack && r.right <= o.right + slack
        && r.top >= o.top - slack && r.bottom <= o.bottom + slack;
    const overlap = (a, b, gap = 1) => a.left < b.right + gap && b.left < a.right + gap
        && a.top < b.bottom + gap && b.top < a.bottom + gap;
    const text = e => (e.textContent || '').trim();
    const axes = Object.keys(L).filter(k => /^[xy]axis\\d*$/.test(k)).map(k => L[k]);
    const byId = Object.fromEntries(axes.map(a => [a._id, a]));
    // The plot area of each axis in page pixels (an axis with no data has no _length: plotly.js drew no panel).
    const span = a => a._length ? (a._id[0] === 'x'
        ? {left: fig.left + a._offset, right: fig.left + a._offset + a._length}
        : {top: fig.top + a._offset, bottom: fig.top + a._offset + a._length}) : null;
    const panels = axes.filter(a => a._id[0] === 'x' && a._length).flatMap(x => {
        const y = byId[x.anchor] || byId['y'];
        return y && y._length ? [{...span(x), ...span(y)}] : [];
    });

    // Text inside the figure: the title and subtitle, axis titles, labels, the legend.
    const items = [];
    for (const [what, selector] of [['title', '.g-gtitle .gtitle'], ['subtitle', '.g-gtitle .gtitle-subtitle'],
            ['axis title', '.infolayer [class^="g-x"] text, .infolayer [class^="g-y"] text'],
            ['label', '.annotation'], ['legend', '.infolayer .legend']]) {
        for (const e of plot.querySelectorAll(selector)) {
            const r = rect(e);
            if (!shown(r) || (what !== 'legend' && what !== 'label' && !text(e))) continue;
            items.push({what, r, text: text(e).slice(0, 50), e});
            const [left, right] = [r.left - fig.left, r.right - fig.left].map(Math.round);
            if (!inside(r, fig))
                say(`${what} "${text(e).slice(0, 50)}" cut by the figure's edge (${left}…${right} px of ${fig.width})`);
        }
    }
    // A label on an axis lies inside that axis' panel (plotly.js puts one on an axis without data elsewhere).
    for (const e of plot.querySelectorAll('.annotation')) {
        const note = (L.annotations || [])[+e.getAttribute('data-index')];
        if (!note) continue;
        const r = rect(e);
        for (const letter of ['x', 'y']) {
            const ref = (note[`${letter}ref`] || letter).split(' ')[0];
            if (ref === 'paper') continue;
            const axis = byId[ref], room = axis && span(axis);
            const [low, high] = letter === 'x' ? ['left', 'right'] : ['top', 'bottom'];
            if (!room) say(`label "${text(e).slice(0, 40)}" refers to ${ref}, which has no panel`);
            else if (r[low] < room[low] - 2 || r[high] > room[high] + 2)
                say(`label "${text(e).slice(0, 40)}" outside its panel along ${letter}`);
        }
    }
    // Nothing overlaps (or touches) another text; the legend covers no plot area.
    for (let i = 0; i < items.length; i++) {
        for (let j = i + 1; j < items.length; j++) {
            const [a, b] = [items[i], items[j]];
            if (a.e.contains(b.e) || b.e.contains(a.e) || (a.what === 'title' && b.what === 'subtitle')) continue;
            if (overlap(a.r, b.r)) say(`${a.what} "${a.text}" touches ${b.what} "${b.text}"`);
        }
        if (items[i].what === 'legend' && panels.some(p => overlap(items[i].r, p, 0)))
            say('the legend covers a plot area');
    }
    // Tick labels of one axis do not run together; a log axis shows at least three.
    for (const axis of axes) {
        if (!axis._length || axis.visible === false) continue;
        const labels = [...plot.querySelectorAll(`.${axis._id}tick text`)].filter(e => text(e) && shown(rect(e)));
        const turn = labels.length && /rotate\\((-?[\\d.]+)/.exec(labels[0].getAttribute('transform') || '');
        const angle = turn ? Math.abs(+turn[1]) % 180 : 0;
        if (angle > 1 && axis._id[0] === 'x') {
            // A slanted label's box overlaps its neighbour's; the text clears it when the ticks lie a line height
            // apart across the slant.
            const size = parseFloat(getComputedStyle(labels[0]).fontSize) || 12;
            const at = (axis._vals || []).filter(v => v.text).map(v => axis.l2p(v.x)).sort((a, b) => a - b);
            const gap = Math.min(...at.slice(1).map((p, k) => p - at[k]));
            if (gap * Math.sin(angle * Math.PI / 180) < 0.9 * size)
                say(`${axis._id} slanted tick labels run together (${gap.toFixed(0)} px apart)`);
        } else {
            const along = axis._id[0] === 'x' ? r => r.left : r => r.top;
            const boxes = labels.map(rect).sort((a, b) => along(a) - along(b));
            for (let k = 1; k < boxes.length; k++)
                if (overlap(boxes[k - 1], boxes[k], 2)) { say(`${axis._id} tick labels run together`); break; }
        }
        if (axis.type === 'log') {
            if (labels.length < 3) say(`${axis._id}: a log axis with ${labels.length} tick label(s)`);
            const decades = Math.abs(axis.range[1] - axis.range[0]);
            if (!(decades <= maxDecades)) say(`${axis._id} spans ${decades.toFixed(1)} decades`);
        }
    }
    // Every point inside its axes' ranges (a log axis' range is in log10 units); finite data.
    for (const trace of plot._fullData) {
        if (trace.visible !== true) continue;
        for (const letter of ['x', 'y', 'z']) {
            const values = trace[letter];
            if (!values || typeof values === 'string' || !values.length) continue;
            const flat = Array.from(values).flat(2);
            if (flat.some(v => typeof v === 'number' && !Number.isFinite(v)))
                say(`${trace.name || trace.type} has a non-finite ${letter}`);
            if (letter === 'z' || (trace.type === 'histogram' && letter !== (trace.orientation === 'h' ? 'y' : 'x')))
                continue;
            const axis = byId[trace[`${letter}axis`]];
            if (!axis || !['linear', 'log'].includes(axis.type) || !axis.range) continue;
            const [low, high] = [Math.min(...axis.range), Math.max(...axis.range)], slack = 1e-6 * (high - low);
            const at = flat.filter(v => typeof v === 'number' && Number.isFinite(v) && (axis.type !== 'log' || v > 0))
                .map(v => axis.type === 'log' ? Math.log10(v) : v);
            const out = at.filter(v => v < low - slack || v > high + slack);
            if (out.length) say(`${trace.name || trace.type}: ${out.length} point(s) outside ${axis._id}'s range`
                + ` ${axis.range.map(v => +v.toFixed(3))}${axis.type === 'log' ? ' (log10)' : ''}`);
        }
    }
    return problems;
})"""

CHARTS_DRAWN = """() => !document.querySelector("[data-testid='stSkeleton']")
    && [...document.querySelectorAll("[data-testid='stPlotlyChart']")].every(c => c.querySelector('.main-svg'))"""


@pytest.fixture(scope="module")
def filled_server(server, tmp_path_factory):
    """The app on a store with a latency profile and a measurement (started after the empty one: it needs it up)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-filled') / 'store.sqlite'}"
    fill_store(Store(url))
    running = Server(url)
    running.start()
    yield running
    running.stop()


# The page's content height: the lowest element's bottom (the main container fills the window, whatever its
# content, so its own height says nothing).
PAGE_HEIGHT = """() => {
    const main = document.querySelector("[data-testid='stMain']");
    const bottoms = [...document.querySelectorAll("[data-testid='stMain'] [data-testid='stElementContainer']")]
        .filter(e => e.getBoundingClientRect().height > 0 && e.checkVisibility())
        .map(e => e.getBoundingClientRect().bottom);
    return Math.max(0, ...bottoms) + (main ? main.scrollTop : 0) + 80; }"""


def drawn(page, width: int, name: str) -> None:
    """Wait until every chart is drawn at this width, then save a screenshot of the whole page."""
    page.wait_for_function(CHARTS_DRAWN, timeout=120_000)
    # Streamlit scrolls inside its main container: a window as tall as the page shows all of it (measured again
    # once the window has grown, as charts drawn lazily lengthen the page).
    for _ in range(3):
        tall = min(int(page.evaluate(PAGE_HEIGHT)), 16_000)
        page.set_viewport_size({"width": width, "height": max(tall, 800)})
        settled(page)
        page.wait_for_function(CHARTS_DRAWN, timeout=60_000)
        page.wait_for_timeout(1000)  # plotly redraws at the new size
        if int(page.evaluate(PAGE_HEIGHT)) <= tall:
            break
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}px.png"))


CASES = [(key, "filled", width) for key in PAGES for width in WIDTHS] + [
    ("deployment", "empty", width) for width in WIDTHS
]


@pytest.mark.parametrize(("key", "store", "width"), CASES, ids=lambda v: str(v))
def test_every_page_reads_whole(server, filled_server, browser, key, store, width):
    page = browser.new_page(viewport={"width": width, "height": 3200})
    page.goto(page_url(filled_server if store == "filled" else server, key))
    opened(page, key)
    drawn(page, width, f"{key}-{store}")
    assert page.locator("[data-testid='stException']").count() == 0
    assert urlsplit(page.url).query == ""  # a page at its defaults has nothing to carry in its link
    problems = page.evaluate(FIGURE_PROBLEMS, MAX_LOG_DECADES)
    cut = page.evaluate(CUT_METRICS)
    page.close()
    assert not problems, problems
    assert not cut, cut  # rows of metrics wrap (ui/metrics.py) rather than cut a value in a narrow window


# Sections past a page's first view, each opened and checked as a page is: the dense study's panels in tabs (the
# shipped study), the families-and-rules section in an expander (its label's start), the Explorer with a ResNet and
# with a RegNet under dWr. Each opening is ("tab", label) or ("expander", label).
SECTION_CASES = [
    ("tasks", "", (("tab", "Measured: which recipe?"),), "measured"),
    ("tasks", "", (("tab", "Measured: which recipe?"), ("tab", "Learning curves")), "curves"),
    ("tasks", "?head=multitask", (("tab", "Measured: which recipe?"), ("tab", "Backbone or heads?")), "split"),
    ("lab", "", (("tab", "Segmentation"),), "segmentation"),
    ("lab", "", (("tab", "Detection"),), "detection"),
    ("lab", "", (("tab", "Family results"),), "families-results"),
    ("pareto", "?pareto_source=dense%3Asegmentation", (), "dense"),
    ("pareto", "", (("expander", "Families and rules"),), "families"),
    (
        "pareto",
        "?fam_cost=latency_ms&fam_bases=resnet18,resnet50,regnetx-400mf,regnety-400mf",
        (("expander", "Families and rules"),),
        "families-latency",
    ),
    ("explorer", "?base=resnet50", (), "resnet50"),
    ("hardware", "?hw_runtime=onnxruntime", (), "onnxruntime"),
    ("hardware", "", (("tab", "Quick calibration"),), "runtimes-calibration"),
    ("hardware", "", (("tab", "Best recipe per runtime"),), "runtimes-best"),
    ("deployment", "", (("tab", "Quantization noise"),), "quantization"),
    ("deployment", "", (("expander", "The largest φ within the budget in each runtime"),), "drone-runtimes"),
    ("lab", "", (("tab", "Rules' verdicts"),), "families-verdicts"),
    ("lab", "", (("tab", "Verdicts on scenes"),), "dense-families-verdicts"),
    ("lab", "", (("tab", "Results on scenes"),), "dense-families-results"),
    ("explorer", "?base=regnety-400mf&ex_rule=dwr&phi=2", (), "regnety-dwr"),
]


@pytest.mark.parametrize(("key", "query", "openings", "name"), SECTION_CASES, ids=lambda v: str(v))
def test_the_sections_past_the_first_view_read_whole(filled_server, browser, key, query, openings, name):
    width = WIDTHS[0]
    page = browser.new_page(viewport={"width": width, "height": 3200})
    page.goto(page_url(filled_server, key) + query)
    opened(page, key)
    for kind, label in openings:
        opener = page.get_by_role("tab", name=label, exact=True) if kind == "tab" else page.get_by_text(label).first
        opener.click()
        settled(page)
    drawn(page, width, f"{key}-{name}")
    assert page.locator("[data-testid='stException']").count() == 0
    problems = page.evaluate(FIGURE_PROBLEMS, MAX_LOG_DECADES)
    images = page.locator("[data-testid='stImage'] img").count()
    page.close()
    assert not problems, problems
    assert key != "lab" or images >= 1  # the validation scenes with their masks


# ---- the checks fail on each planted defect (plotly.js drawing figures outside the app) ---------------------------


def planted() -> dict[str, go.Figure]:
    """A figure per defect, each drawn 262 px wide (a half-width chart at 1000 px), and one that reads."""
    fine = style.finish(go.Figure(go.Scatter(x=[1, 2, 3], y=[4.0, 5.0, 6.0], name="a")), "Reads", columns=2)
    outside = style.finish(go.Figure(go.Scatter(x=[1, 2, 3], y=[4.0, 5.0, 9.0], name="a")), "Outside", columns=2)
    outside.update_yaxes(range=[3.0, 7.0])
    two_ticks = go.Figure(go.Scatter(x=[1, 2], y=[30.0, 95.0], name="a"))
    two_ticks.update_yaxes(type="log", tickvals=[50.0, 100.0], ticktext=["50", "100"])
    two_ticks = style.finish(two_ticks, "Two ticks", columns=2)
    two_ticks.update_yaxes(range=[1.4, 2.0])
    wide = style.finish(go.Figure(go.Scatter(x=[1, 2], y=[1, 2], name="a")), "Wide", columns=2)
    wide.update_layout(title_text="Does squeeze-excite before the depthwise conv protect the signal?")
    elsewhere = make_subplots(cols=2)
    elsewhere.add_scatter(x=[2, 16], y=[0, 80], row=1, col=1)
    elsewhere.add_annotation(text="not measured", x=0.5, y=0.5, xref="x2 domain", yref="y2 domain", showarrow=False)
    elsewhere = style.finish(elsewhere, "Elsewhere")
    crowded = go.Figure(go.Bar(x=[f"stage {i}" for i in range(1, 11)], y=list(range(10)), name="a"))
    crowded = style.finish(crowded, "Crowded", columns=2).update_xaxes(tickangle=0)
    touching = make_subplots(cols=2, subplot_titles=["left panel", "right panel"])
    touching.add_scatter(x=[0, 1], y=[0, 1], row=1, col=1)
    touching.add_scatter(x=[0, 1], y=[0, 1], row=1, col=2)
    touching = style.finish(touching, "Touching", "measured, mean over seeds, every one").update_layout(margin_t=50)
    return {
        "fine": fine,
        "outside": outside,
        "two ticks": two_ticks,
        "wide": wide,
        "elsewhere": elsewhere,
        "crowded": crowded,
        "touching": touching,
    }


EXPECTED = {
    "outside": "point(s) outside y's range",
    "two ticks": "a log axis with 2 tick label",
    "wide": 'title "Does squeeze-excite',
    "elsewhere": "outside its panel",  # or "which has no panel", as the plotly.js version draws it
    "crowded": "x tick labels run together",
    "touching": "touches label",
}


def test_the_browser_checks_catch_each_planted_defect(browser, tmp_path):
    missing = requirements_missing()
    if missing:
        pytest.skip(missing)
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    for name, fig in planted().items():
        fig.update_layout(width=style.CHART_WIDTHS_PX[2] if name != "elsewhere" else 540)
        path = tmp_path / f"{name.replace(' ', '-')}.html"
        path.write_text(fig.to_html(include_plotlyjs=True, full_html=True))
        page.goto(path.as_uri())
        page.wait_for_function("() => (document.querySelector('.js-plotly-plot') || {})._fullLayout")
        problems = " | ".join(page.evaluate(FIGURE_PROBLEMS, MAX_LOG_DECADES))
        if name == "fine":
            assert problems == "", problems
        else:
            assert EXPECTED[name] in problems or (name == "elsewhere" and "has no panel" in problems), problems
    page.close()
