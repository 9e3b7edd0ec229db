"""Lab runs started from the page: one background grid at a time per server, shared by all its sessions.

The thread trains through the executor (scaling_core.executor): in local worker processes, or on the Dask
cluster named by SCALING_LAB_SCHEDULER when the server was started with it. Either way it writes each run to
the store as it lands, so the page (and any other page or session) never waits for it; the page polls the
job's progress and shows the cluster's dashboard link when there is one. One grid at a time: two would put
four training processes on two cores, and time latencies while training.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
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
    return start_training(
        key,
        dataset,
        lambda store, **options: run_grid(dataset, aliases, phis, seeds, store, **options),
        store_url,
        by,
    )


def start_quick_study(key: tuple, store_url: str, by: Identity = LOCAL) -> Job | None:
    """Start the dense lab's quick study (scenes, the quick budget) in the background, as `start` does a grid."""
    from scaling_core.app.views.dense import quick_points
    from scaling_core.lab.dense_data import SCENES
    from scaling_core.lab.dense_runs import run_dense
    from scaling_core.lab.dense_settings import dense_settings

    settings = dense_settings()
    return start_training(
        key,
        "the quick dense study",
        lambda store, **options: run_dense(
            SCENES, quick_points(), settings.quick_study.seeds, store, settings.quick_budget, **options
        ),
        store_url,
        by,
    )


def start_training(
    key: tuple, what: str, train: Callable[..., int], store_url: str, by: Identity = LOCAL
) -> Job | None:
    """Run `train(store, progress=…, scheduler=…, on_dashboard=…)` in a background thread, one per server; None
    while another is training. NotAllowed when sign-in is configured and `by` is not signed in."""
    if not by.may_change_shared:
        raise NotAllowed("start training", what, "by a signed-in user")
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
            train(Store(store_url), progress=progress, scheduler=record.scheduler, on_dashboard=dashboard)
        except Exception as exc:  # the page shows whatever stopped the run; the server goes on
            record.error = scrubbed(f"{type(exc).__name__}: {exc}", store_url)
        finally:
            record.finished = True

    record.thread = threading.Thread(target=work, name=f"lab {what}", daemon=True)
    record.thread.start()
    return record


def show_progress(record: Job, finished: str) -> None:
    """A job's state on the page: its error, `finished` once done, or a progress bar (and its Dask cluster)."""
    if record.error:
        st.error(f"The run stopped: {record.error}")
    elif record.finished:
        st.success(finished.format(done=record.done))
    else:
        st.progress(
            record.done / record.total if record.total else 0.0,
            text=f"Trained {record.done} of {record.total if record.total is not None else '…'} runs",
        )
        if record.scheduler:
            link = f" ([Dask dashboard]({record.dashboard}))" if record.dashboard else ""
            st.caption(f"Training on the Dask cluster at `{record.scheduler}`{link}.")
