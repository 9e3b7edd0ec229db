"""Interactive speed of the dashboard against two Streamlit pages served and timed in the same run.

The baselines: benchmarks/trivial_page.py (a title, one slider, one metric) and the floor of a page that draws a
chart, benchmarks/one_chart_page.py (the same plus one plotly chart and one 10-row table): a page that draws plotly
charts cannot open faster than a page with one. Every figure of every page is printed in seconds and as ratios to
both baselines:
  link (warm)    a new browser session opens the page's link on a running server, until it settles
  first view     `streamlit run` started cold, until the page's link, the first one opened, settles
  control        the page's main control (ui/pages.py) moved in Chromium (a slider's arrow key, a number input's
                 step button, a text input's Enter, a multiselect's choice removed or added): until the "depth d"
                 metric shows its new value (where the page has one), and until the run has ended and the page
                 settled
  rerun          the server's rerun after the page's main control changes (AppTest, median of several)

"Settled" means: the script run is over (the app says notRunning), nothing is stale, no skeleton is left, and
every chart and table inside the first 1400 × 900 px window has drawn. Each browser session is a new context
(empty HTTP cache, like a teammate's first visit); `--cached` also times a second visit of a browser that has
the static files. `--profile DIR` writes, per page, the browser's resource timeline (what was fetched, its size
and time) and cProfiles of the page's first server run in this process (`-first-run`), of its run in a new
session once the process is warm (`-new-session`, what a warm link waits for) and of a rerun after its main
control moved (`-rerun`).

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
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ui.pages import PAGES, PHI, MainControl  # noqa: E402

TRIVIAL = ROOT / "benchmarks" / "trivial_page.py"
ONE_CHART = ROOT / "benchmarks" / "one_chart_page.py"
APP = ROOT / "app.py"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
WINDOW = {"width": 1400, "height": 900}
METRIC = "depth d"  # the metric the φ slider drives on the baselines and on Explorer
# Reruns timed (twice each: the control moved there and back): a baseline's take a few ms, so more of them keep its
# median, which every page's ratio divides by, steady on a busy machine.
BASELINE_RERUNS, PAGE_RERUNS = 30, 5


@dataclass(frozen=True)
class Target:
    """What one row of the report times: a script (a baseline, or the app opened at one of its pages)."""

    name: str
    script: Path
    page: str | None  # the app's page key; None for a baseline
    control: MainControl

    @property
    def path(self) -> str:
        """The path of its link ("/" for a baseline and for the app's default page)."""
        return "/" if self.page in (None, "explorer") else "/" + self.page


BASELINES = (Target("trivial page", TRIVIAL, None, PHI), Target("one-chart page", ONE_CHART, None, PHI))


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

# In every page of a context: the time each script run ends, read off the server's messages (a ForwardMsg whose
# field 6, script_finished, is 0 finished, 1 compile error or 3 fragment finished; 2, ended early for a rerun, is
# not the end), as __finished.
RUN_ENDS = """(() => {
    const varint = (bytes, at) => {
        let value = 0, shift = 0, byte;
        do { byte = bytes[at++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
        return [value, at];
    };
    const finished = bytes => {
        for (let at = 0, key, value; at < bytes.length;) {
            [key, at] = varint(bytes, at);
            const wire = key & 7;
            if (wire === 0) { [value, at] = varint(bytes, at); if (key >> 3 === 6) return value !== 2; }
            else if (wire === 2) { [value, at] = varint(bytes, at); at += value; }
            else if (wire === 1) at += 8;
            else if (wire === 5) at += 4;
            else return false;
        }
        return false;
    };
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener("message", event => {
                if (event.data instanceof ArrayBuffer && finished(new Uint8Array(event.data)))
                    window.__finished = performance.now();
            });
        }
    };
})()"""
# Before a control moves: the clock starts at the next key press or click (__t0); __shown is when the metric shows a
# new value. RESET restarts the clock (a multiselect's list opening is not the change).
RESET = "() => { window.__t0 = window.__shown = undefined; }"
ARM = """label => {
    const value = () => [...document.querySelectorAll("[data-testid='stMetric']")]
        .find(m => m.querySelector("[data-testid='stMetricLabel']").innerText.startsWith(label))
        ?.querySelector("[data-testid='stMetricValue']").innerText;
    const before = value();
    (RESET)();
    for (const kind of ["keydown", "pointerdown"]) {
        document.removeEventListener(kind, window.__start, {capture: true});
        document.addEventListener(kind, window.__start = () => { window.__t0 ??= performance.now(); }, {capture: true});
    }
    window.__observer?.disconnect();
    if (before === undefined) return;
    window.__observer = new MutationObserver(() => {
        if (window.__t0 !== undefined && window.__shown === undefined && ![undefined, before].includes(value()))
            window.__shown = performance.now();
    });
    window.__observer.observe(document.querySelector("[data-testid='stMain']"),
                              {childList: true, subtree: true, characterData: true});
}""".replace("RESET", RESET)
# After a control moved: a run has ended since, and the page has settled.
RAN = f"() => window.__t0 !== undefined && window.__finished > window.__t0 && ({SETTLED})()"

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


MOVABLE = ("slider", "number_input", "text_input", "multiselect")


def browser_control(page, control: MainControl) -> tuple[str, MainControl] | None:
    """The CSS selector of the widget to move in the browser and how to move it: the main control where it is a
    slider, number input, text input or multiselect, else the φ slider where the page has one; else None."""
    for candidate in (control, PHI):
        selector = f".st-key-{candidate.key}"
        if candidate.kind in MOVABLE and page.locator(selector).count():
            return selector, candidate
    return None


def move(page, selector: str, control: MainControl, i: int) -> None:
    """Move a control one way (even i) or back (odd i), as a user does: a key press or a click. The clock starts at
    the key press or click that commits the change (ARM): a multiselect's list is opened before."""
    forth = i % 2 == 0
    if control.kind == "slider":
        page.locator(f"{selector} input[type='range']").focus()
        page.keyboard.press("ArrowRight" if forth else "ArrowLeft")
    elif control.kind == "number_input":
        page.locator(f"{selector} [data-testid='stNumberInputStep{'Up' if forth else 'Down'}']").click()
    elif control.kind == "text_input":  # commits on Enter
        page.locator(f"{selector} input").fill(str(control.values[i % 2]), no_wait_after=True)
        page.keyboard.press("Enter")
    elif forth:  # a multiselect: remove its last choice, then add the first one offered
        page.locator(f"{selector} button[aria-label^='Remove']").last.click()
    else:
        page.locator(f"{selector} input").click()
        option = page.locator("[role='option']:not([data-key='__select_all__'])").first
        option.wait_for()
        page.evaluate(RESET)  # opening the list is not the change
        option.click()
        page.keyboard.press("Escape")


def control_round_trip(browser, url: str, control: MainControl, repeats: int) -> dict[str, float | str | None]:
    """The key of the widget moved, the median seconds from moving it until the metric shows its new value (None
    where the page has no such metric) and until the page settles after the run (None where none can be moved)."""
    context = browser.new_context()
    context.add_init_script(RUN_ENDS)
    _, page = open_settled(context, url)
    found = browser_control(page, control)
    changed, settled = [], []
    for i in range(repeats if found else 0):
        selector, moved = found
        page.evaluate(ARM, METRIC)
        move(page, selector, moved, i)
        page.wait_for_function(RAN, timeout=60_000, polling="raf")
        t0, shown = page.evaluate("[window.__t0, window.__shown]")
        settled.append((page.evaluate("performance.now()") - t0) / 1000)
        if shown is not None:
            changed.append((shown - t0) / 1000)
    context.close()
    return {
        "widget": found[1].key if found else None,
        "changed": statistics.median(changed) if changed else None,
        "control": statistics.median(settled) if settled else None,
    }


@contextmanager
def profiled(path: Path) -> Iterator[None]:
    """A cProfile of the script runs started inside the block (AppTest runs the script in a thread of its own),
    written to `path`."""
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    profiler = cProfile.Profile()
    original = LocalScriptRunner._run_script_thread

    def run(runner: LocalScriptRunner) -> None:
        profiler.runcall(original, runner)

    LocalScriptRunner._run_script_thread = run  # type: ignore[method-assign]
    try:
        yield
    finally:
        LocalScriptRunner._run_script_thread = original  # type: ignore[method-assign]
    pstats.Stats(profiler).dump_stats(path)


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


def rerun_time(target: Target, repeats: int, profile: Path | None) -> float:
    """Median seconds of the server's rerun after the target's main control changes (AppTest, scripts compiled once
    as a server compiles them); with `profile`, cProfiles of its first run, a new session's and a rerun's."""
    with compiled_once():
        return apptest_rerun_time(target, repeats, profile)


def opened(target: Target, profile: Path | None = None):
    """A new AppTest session that has run the target once (its page's run profiled into `profile` if given)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(target.script), default_timeout=600)
    first = target.page is None or target.page == "explorer"  # the link's first run is the session's first run
    with profiled(profile) if profile and first else nullcontext():
        at.run()
    if not first:
        with profiled(profile) if profile else nullcontext():
            at.switch_page(PAGES[target.page].path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def apptest_rerun_time(target: Target, repeats: int, profile: Path | None) -> float:
    """rerun_time's measurement."""
    at = opened(target, profile and profile / f"{target.name}-first-run.pstats")
    control = target.control
    times = []
    for i in range(repeats * 2 + 1):
        getattr(at, control.kind)(key=control.key).set_value(control.values[i % 2])
        start = time.perf_counter()
        at.run()
        if i:  # the first change may fill a per-process cache the later ones reuse
            times.append(time.perf_counter() - start)
    assert not at.exception, [e.value for e in at.exception]
    if profile:
        getattr(at, control.kind)(key=control.key).set_value(control.values[0])
        with profiled(profile / f"{target.name}-rerun.pstats"):
            at.run()
        opened(target, profile / f"{target.name}-new-session.pstats")
    return statistics.median(times)


def cold_first_view(browser, target: Target, store_url: str) -> float:
    """Seconds from `streamlit run` until the first page opened settles."""
    served = serve(target.script, store_url)
    try:
        context = browser.new_context()
        before_navigation = time.monotonic() - served.started
        seconds, _ = open_settled(context, served.url + target.path)
        context.close()
        return before_navigation + seconds
    finally:
        served.stop()


def browser_figures(browser, targets: list[Target], rows: dict, args: argparse.Namespace, store_url: str) -> None:
    """The browser's figures of every target, into rows: the cold first view, then, on servers warmed up by one
    visit, the link of a new session and the main control's round trip."""
    for target in targets:
        rows[target.name]["cold"] = statistics.median(
            cold_first_view(browser, target, store_url) for _ in range(args.cold_repeats)
        )
    servers = {script: serve(script, store_url) for script in (TRIVIAL, ONE_CHART, APP)}
    try:
        for served in servers.values():  # the servers' imports and caches are warm
            open_settled(browser.new_context(), served.url)[1].context.close()
        for target in targets:
            url = servers[target.script].url + target.path
            row = rows[target.name]
            row["link"], row["link_cached"], timeline = link_times(browser, url, args.repeats, args.cached)
            row.update(control_round_trip(browser, url, target.control, args.repeats * 2))
            if args.profile and target.page:
                (args.profile / f"{target.name}-resources.json").write_text(json.dumps(timeline, indent=1))
    finally:
        for served in servers.values():
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
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    store_url = f"sqlite:///{Path(tempfile.gettempdir()) / f'speed-{os.getpid()}.sqlite'}"
    targets = [*BASELINES, *(Target(key, APP, key, PAGES[key].control) for key in args.pages.split(","))]
    rows: dict[str, dict] = {
        t.name: {
            "rerun": rerun_time(t, BASELINE_RERUNS if t.page is None else PAGE_RERUNS, args.profile if t.page else None)
        }
        for t in targets
    }
    if not args.skip_browser:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            browser_figures(browser, targets, rows, args, store_url)
            browser.close()
    report(rows)


FIGURES = {  # key: (heading, the baseline the goal is set against, the goal's ratio)
    "link": ("link, warm server: a new browser session opens the page until it settles", "one-chart page", 1.2),
    "link_cached": ("link, warm server, a browser that has the static files (--cached)", "one-chart page", 1.2),
    "cold": ("first view, cold server: `streamlit run` until the page's link settles", "one-chart page", None),
    "changed": (f"main control in the browser: until the '{METRIC}' metric shows the new value", "trivial page", None),
    "control": ("main control in the browser: until the page settles after its rerun", "trivial page", None),
    "rerun": ("rerun: the server's run after the main control changes (AppTest)", "trivial page", 25.0),
}


def report(rows: dict[str, dict]) -> None:
    """One table per figure: every row's seconds and its ratios to both baselines, and whether it meets the goal."""
    print(f"python {sys.version.split()[0]} · {os.cpu_count()} cores · load {os.getloadavg()[0]:.2f}")
    for key, (heading, against, goal) in FIGURES.items():
        if all(row.get(key) is None for row in rows.values()):
            continue
        print(f"\n{heading}" + (f" · goal ≤ {goal:g}× the {against}" if goal else ""))
        print(f"{'page':16s} {'seconds':>9s}" + "".join(f" {'× ' + b.name:>17s}" for b in BASELINES))
        for name, row in rows.items():
            value = row.get(key)
            ratios = {b.name: value / rows[b.name][key] for b in BASELINES if value and rows[b.name].get(key)}
            over = goal is not None and ratios.get(against, 0.0) > goal
            print(
                f"{name:16s} "
                + (f"{value:9.4f}" if value is not None else f"{'—':>9s}")
                + "".join(f" {f'{ratios[b.name]:.2f}×' if b.name in ratios else '—':>17s}" for b in BASELINES)
                + (f"   moved: {row['widget']}" if key == "control" and value is not None else "")
                + ("   over the goal" if over else "")
            )


if __name__ == "__main__":
    main()
