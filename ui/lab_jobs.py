"""Lab runs started from the page: one background grid at a time per server, shared by all its sessions.

The thread trains through the executor (scaling_core.executor): in local worker processes, or on the Dask
cluster named by SCALING_LAB_SCHEDULER when the server was started with it. Either way it writes each run to
the store as it lands, so the page (and any other page or session) never waits for it; the page polls the
job's progress and shows the cluster's dashboard link when there is one. One grid at a time: two would put
four training processes on two cores, and time latencies while training.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import streamlit as st

from scaling_core.executor.cluster import scheduler_address
from scaling_core.lab.runs import run_grid
from scaling_core.storage.identity import LOCAL, Identity, NotAllowed
from scaling_core.storage.store import Store, scrubbed


@dataclass
class Job:
    """Progress of one background grid."""

    done: int = 0
    total: int | None = None
    error: str | None = None
    finished: bool = False
    scheduler: str | None = None  # the Dask cluster it runs on; None: local processes
    dashboard: str | None = None  # that cluster's dashboard, when it serves one
    thread: threading.Thread | None = field(default=None, repr=False)


@st.cache_resource
def _jobs() -> tuple[dict[tuple, Job], threading.Lock]:
    return {}, threading.Lock()


def job(key: tuple) -> Job | None:
    """The job of a grid, if one was started on this server."""
    return _jobs()[0].get(key)


def running() -> tuple | None:
    """The key of the grid training now on this server, if any."""
    return next((key for key, record in _jobs()[0].items() if not record.finished), None)


def start(
    key: tuple,
    dataset: str,
    aliases: list[str],
    phis: list[float],
    seeds: int,
    store_url: str,
    by: Identity = LOCAL,
) -> Job | None:
    """Start training a grid in the background; None while another grid is training on this server. NotAllowed
    when sign-in is configured and `by` is not signed in (a training occupies the server for everyone)."""
    if not by.may_change_shared:
        raise NotAllowed("start training", dataset, "by a signed-in user")
    jobs, lock = _jobs()
    with lock:
        busy = running()
        if busy is not None:
            return jobs[busy] if busy == key else None
        record = Job()
        jobs[key] = record

    def progress(done: int, total: int) -> None:
        record.done, record.total = done, total

    def dashboard(link: str) -> None:
        record.dashboard = link

    def work() -> None:
        try:
            record.scheduler = scheduler_address(None)
            run_grid(
                dataset,
                aliases,
                phis,
                seeds,
                Store(store_url),
                progress=progress,
                scheduler=record.scheduler,
                on_dashboard=dashboard,
            )
        except Exception as exc:  # the page shows whatever stopped the run; the server goes on
            record.error = scrubbed(f"{type(exc).__name__}: {exc}", store_url)
        finally:
            record.finished = True

    record.thread = threading.Thread(target=work, name=f"lab {dataset}", daemon=True)
    record.thread.start()
    return record
