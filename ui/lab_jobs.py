"""Lab runs started from the page: a background thread per grid, shared by all sessions of the server.

The thread trains in worker processes and writes each run to the store as it lands, so the page
(and any other page or session) never waits for it; the page polls the job's progress.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import streamlit as st

from scaling_core.lab import run_grid
from scaling_core.store import Store


@dataclass
class Job:
    """Progress of one background grid."""

    done: int = 0
    total: int | None = None
    error: str | None = None
    finished: bool = False
    thread: threading.Thread | None = field(default=None, repr=False)


@st.cache_resource
def _jobs() -> dict[tuple, Job]:
    return {}


def job(key: tuple) -> Job | None:
    """The job of a grid, if one was started on this server."""
    return _jobs().get(key)


def start(key: tuple, dataset: str, aliases: list[str], phis: list[float], seeds: int, store_url: str) -> Job:
    """Start training a grid in the background (or return the job already running it)."""
    jobs = _jobs()
    running = jobs.get(key)
    if running is not None and not running.finished:
        return running
    record = Job()

    def progress(done: int, total: int) -> None:
        record.done, record.total = done, total

    def work() -> None:
        try:
            run_grid(dataset, aliases, phis, seeds, Store(store_url), progress=progress)
        except Exception as exc:  # the page shows whatever stopped the run; the server goes on
            record.error = f"{type(exc).__name__}: {exc}"
        finally:
            record.finished = True

    record.thread = threading.Thread(target=work, name=f"lab {dataset}", daemon=True)
    jobs[key] = record
    record.thread.start()
    return record
