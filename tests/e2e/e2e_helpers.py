"""The served app and browser helpers of the end-to-end tests (imported by their conftest and tests)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SCREENSHOTS = ROOT / "test-output" / "e2e"
START_S = 180


def requirements_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (Debian package chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (requirements-dev.txt)"
    return None


class Server:
    """`streamlit run app.py` on a free port with a given store; start, stop, restart."""

    def __init__(self, store_url: str) -> None:
        self.store_url = store_url
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "SCALING_LAB_STORE_URL": self.store_url}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",  # nothing is edited under test: no watching, no reruns on save
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{port}"
        # A cold start imports torch and reads the shipped files: on a loaded two-core machine that can pass a minute.
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        pytest.fail(f"streamlit did not answer /_stcore/health within {START_S} s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:  # a server stuck in a long run: the test is over, end it
                self.process.kill()
                self.process.wait()
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


def settled(page, timeout: float = 60_000) -> None:
    """Wait until the app has finished its run: no stale elements, no running indicator."""
    page.wait_for_function(
        """() => !document.querySelector("[data-stale='true']")
              && !document.querySelector("[data-testid='stStatusWidget']")""",
        timeout=timeout,
    )
