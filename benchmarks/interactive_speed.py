"""Interactive speed of the dashboard against a trivial Streamlit page, both served and timed in this run.

For each page, as ratios to benchmarks/trivial_page.py (a title, one slider, one metric):
  link (warm)    a new browser session opens the page's link on a running server, until it settles
  first view     `streamlit run` started cold, until the page's link, the first one opened, settles
  slider         φ slider key press in Chromium until the metric it drives shows the new value, and until settled
  rerun          the server's rerun after the page's main control changes (AppTest, median of several)

"Settled" means: the script run is over (the app says notRunning), nothing is stale, no skeleton is left, and
every chart and table inside the first 1400 × 900 px window has drawn. Each browser session is a new context
(empty HTTP cache, like a teammate's first visit); `--cached` also times a second visit of a browser that has
the static files. `--profile DIR` writes, per page, the browser's resource timeline (what was fetched, its size
and time) and a cProfile of the page's first server run.

    python benchmarks/interactive_speed.py [--pages explorer,tasks] [--repeats 3] [--profile DIR] [--cached]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ui.pages import PAGES  # noqa: E402

TRIVIAL = ROOT / "benchmarks" / "trivial_page.py"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
WINDOW = {"width": 1400, "height": 900}


SETTLED = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
    if (!document.querySelector("h1")) return false;
    if (document.querySelector("[data-stale='true'], [data-testid='stStatusWidget'], [data-testid='stSkeleton']"))
        return false;
    const shown = selector => [...document.querySelectorAll(selector)].filter(e => {
        const box = e.getBoundingClientRect();
        return box.height > 0 && box.top < window.innerHeight && e.checkVisibility(); });
    return shown("[data-testid='stPlotlyChart']").every(c => c.querySelector(".main-svg"))
        && shown("[data-testid='stDataFrame']").every(t => t.querySelector("canvas"));
}"""

RESOURCES = """() => performance.getEntriesByType("resource").map(r => ({
    name: r.name.split("/").pop().split("?")[0], kind: r.initiatorType, start_ms: Math.round(r.startTime),
    ms: Math.round(r.duration), bytes: r.transferSize || r.encodedBodySize}))"""


@dataclass
class Served:
    """A `streamlit run` process on a free port, and when it was started."""

    process: subprocess.Popen
    url: str
    started: float

    def stop(self) -> None:
        """End the server."""
        self.process.terminate()
        self.process.wait(timeout=60)


def serve(script: Path, store_url: str) -> Served:
    """Start `streamlit run script` and return once /_stcore/health answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
        + ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
        + ["--server.fileWatcherType", "none"],
        cwd=ROOT,
        env={**os.environ, "SCALING_LAB_STORE_URL": store_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    while time.monotonic() - started < 180:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return Served(process, url, started)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"{script.name} did not start within 180 s")


def open_settled(context, url: str) -> tuple[float, object]:
    """Seconds from navigation start until the page settles, and the page (left open)."""
    page = context.new_page()
    page.set_viewport_size(WINDOW)
    page.goto(url, wait_until="commit")
    try:
        page.wait_for_function(SETTLED, timeout=120_000, polling="raf")
    except Exception:  # say what the page showed when it did not settle, then fail
        print(
            "unsettled:",
            url,
            page.evaluate(
                """() => [document.querySelector("[data-testid='stApp']")?.getAttribute("data-test-script-state"),
                document.querySelector("[data-testid='stMain']")?.innerText.slice(0, 300)]"""
            ),
        )
        raise
    return page.evaluate("performance.now()") / 1000, page


def link_times(browser, url: str, repeats: int, cached: bool) -> tuple[float, float | None, list]:
    """Median seconds to settle in a new session (empty cache), with a cached browser if asked; a timeline."""
    fresh, again, timeline = [], [], []
    for _ in range(repeats):
        context = browser.new_context()
        seconds, page = open_settled(context, url)
        fresh.append(seconds)
        timeline = page.evaluate(RESOURCES)
        page.close()
        if cached:  # the same browser (its HTTP cache) opening the link again: a new Streamlit session
            seconds, page = open_settled(context, url)
            again.append(seconds)
        context.close()
    return statistics.median(fresh), statistics.median(again) if again else None, timeline


def slider_round_trip(browser, url: str, metric_label: str, repeats: int) -> tuple[float, float]:
    """Median seconds from a φ key press until the metric shows its new value, and until the page settles."""
    context = browser.new_context()
    _, page = open_settled(context, url)
    thumb = page.locator("[data-testid='stSlider'] input[type='range']").first
    changed, settled = [], []
    for i in range(repeats):
        page.evaluate(
            """label => {
                const metric = [...document.querySelectorAll("[data-testid='stMetric']")]
                    .find(m => m.querySelector("[data-testid='stMetricLabel']").innerText.startsWith(label));
                window.__before = metric.querySelector("[data-testid='stMetricValue']").innerText;
                window.__metric = metric;
                document.addEventListener("keydown", () => { window.__t0 = performance.now(); },
                                          {capture: true, once: true});
            }""",
            metric_label,
        )
        thumb.focus()
        page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        changed.append(
            page.wait_for_function(
                """() => window.__t0 !== undefined && window.__metric.isConnected
                      && window.__metric.querySelector("[data-testid='stMetricValue']").innerText !== window.__before
                      && performance.now() - window.__t0""",
                timeout=60_000,
                polling="raf",
            ).json_value()
            / 1000
        )
        page.wait_for_function(SETTLED, timeout=60_000, polling="raf")
        settled.append((page.evaluate("performance.now()") - page.evaluate("window.__t0")) / 1000)
        page.evaluate("delete window.__t0")
    context.close()
    return statistics.median(changed), statistics.median(settled)


@contextmanager
def profiled_script_thread() -> Iterator[cProfile.Profile]:
    """A cProfile of the script runs started inside the block (AppTest runs the script in a thread of its own)."""
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    profiler = cProfile.Profile()
    original = LocalScriptRunner._run_script_thread

    def profiled(runner: LocalScriptRunner) -> None:
        profiler.runcall(original, runner)

    LocalScriptRunner._run_script_thread = profiled  # type: ignore[method-assign]
    try:
        yield profiler
    finally:
        LocalScriptRunner._run_script_thread = original  # type: ignore[method-assign]


@contextmanager
def compiled_once() -> Iterator[None]:
    """AppTest as a server runs: a script compiled once, not on every run (AppTest gives each run a new cache)."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    originals = app_test.ScriptCache, local_script_runner.ScriptCache
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        app_test.ScriptCache, local_script_runner.ScriptCache = originals  # type: ignore[misc]


def rerun_time(script: Path, page: str | None, repeats: int, profile: Path | None) -> float:
    """Median seconds of the server's rerun after the page's main control changes (AppTest, scripts compiled once
    as a server compiles them)."""
    with compiled_once():
        return apptest_rerun_time(script, page, repeats, profile)


def apptest_rerun_time(script: Path, page: str | None, repeats: int, profile: Path | None) -> float:
    """rerun_time's measurement."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(script), default_timeout=600)
    at.run()
    if page is not None:
        if profile:
            with profiled_script_thread() as profiler:
                at.switch_page(PAGES[page].path).run()
            pstats.Stats(profiler).dump_stats(profile / f"{page}-first-run.pstats")
        else:
            at.switch_page(PAGES[page].path).run()
        assert not at.exception, [e.value for e in at.exception]
    control = PAGES[page or "explorer"].control
    times = []
    for i in range(repeats * 2 + 1):
        widget = getattr(at, control.kind)(key=control.key)
        widget.set_value(control.values[i % 2])
        start = time.perf_counter()
        at.run()
        if i:  # the first change may fill a per-process cache the later ones reuse
            times.append(time.perf_counter() - start)
    assert not at.exception, [e.value for e in at.exception]
    return statistics.median(times)


def page_path(page: str) -> str:
    """The path of a page's link ("" for the default page)."""
    return "/" if page == "explorer" else "/" + page


def cold_first_view(browser, script: Path, store_url: str, path: str) -> float:
    """Seconds from `streamlit run` until the first page opened settles."""
    served = serve(script, store_url)
    try:
        context = browser.new_context()
        before_navigation = time.monotonic() - served.started
        seconds, _ = open_settled(context, served.url + path)
        context.close()
        return before_navigation + seconds
    finally:
        served.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated page keys")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each browser timing (median)")
    parser.add_argument("--cold-repeats", type=int, default=2, help="cold starts of each server (median)")
    parser.add_argument("--profile", type=Path, help="folder for the resource timelines and cProfile dumps")
    parser.add_argument("--cached", action="store_true", help="also time a second visit with a cached browser")
    parser.add_argument("--skip-browser", action="store_true", help="only the AppTest reruns")
    args = parser.parse_args()
    pages = args.pages.split(",")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    store_url = f"sqlite:///{Path(tempfile.gettempdir()) / f'speed-{os.getpid()}.sqlite'}"
    app = ROOT / "app.py"

    rows: dict[str, dict[str, float | None]] = {}
    base = {"rerun": rerun_time(TRIVIAL, None, 10, None)}
    for page in pages:
        rows[page] = {"rerun": rerun_time(app, page, 3, args.profile)}
    if not args.skip_browser:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            base["cold"] = statistics.median(
                cold_first_view(browser, TRIVIAL, store_url, "/") for _ in range(args.cold_repeats)
            )
            for page in pages:
                rows[page]["cold"] = statistics.median(
                    cold_first_view(browser, app, store_url, page_path(page)) for _ in range(args.cold_repeats)
                )
            trivial = serve(TRIVIAL, store_url)
            served = serve(app, store_url)
            try:
                open_settled(browser.new_context(), served.url)  # the server's imports and caches are warm
                base["link"], base["link_cached"], _ = link_times(browser, trivial.url, args.repeats, args.cached)
                base["changed"], base["slider"] = slider_round_trip(browser, trivial.url, "depth d", args.repeats * 2)
                for page in pages:
                    link, cached, timeline = link_times(
                        browser, served.url + page_path(page), args.repeats, args.cached
                    )
                    rows[page].update(link=link, link_cached=cached)
                    if args.profile:
                        (args.profile / f"{page}-resources.json").write_text(json.dumps(timeline, indent=1))
                ex_changed, ex_slider = slider_round_trip(browser, served.url, "depth d", args.repeats * 2)
                rows.setdefault("explorer", {}).update(changed=ex_changed, slider=ex_slider)
            finally:
                trivial.stop()
                served.stop()
            browser.close()
    report(base, rows)


def report(base: dict, rows: dict) -> None:
    """Print each figure and its ratio to the trivial page's."""

    def cell(value: float | None, reference: float | None, unit_ms: bool = False) -> str:
        if value is None or reference is None:
            return "—"
        shown = f"{value * 1000:.1f} ms" if unit_ms else f"{value:.2f} s"
        return f"{shown} ({value / reference:.1f}×)"

    print(f"python {sys.version.split()[0]} · {os.cpu_count()} cores · load {os.getloadavg()[0]:.2f}")
    print("trivial page: " + ", ".join(f"{k} {v:.4f} s" for k, v in base.items() if v is not None))
    header = f"{'page':15s} {'link, warm server':>22s} {'cached browser':>20s} {'cold server':>20s} {'rerun':>20s}"
    print(header + "   goals: link ≤ 1.5×, cold ≤ 3×, rerun ≤ 25×")
    for page, row in rows.items():
        print(
            f"{page:15s} {cell(row.get('link'), base.get('link')):>22s} "
            f"{cell(row.get('link_cached'), base.get('link_cached')):>20s} "
            f"{cell(row.get('cold'), base.get('cold')):>20s} "
            f"{cell(row['rerun'], base['rerun'], unit_ms=True):>20s}"
        )
    explorer = rows.get("explorer", {})
    if "slider" in explorer:
        print(
            f"φ slider (Explorer): value shown {cell(explorer['changed'], base['changed'])}, "
            f"settled {cell(explorer['slider'], base['slider'])} · goal ≤ 1.3×"
        )


if __name__ == "__main__":
    main()
