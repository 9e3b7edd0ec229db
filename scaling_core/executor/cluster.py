"""Where a list of jobs runs: the local process pool (no scheduler), a LocalCluster (`local:N`) or a Dask scheduler.

The address comes from `--scheduler`, else from the environment variable SCALING_LAB_SCHEDULER, else there is
none and jobs run in the local pool as they always have. dask.distributed is imported only when connecting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scaling_core.core.errors import ConfigError

SCHEDULER_ENV = "SCALING_LAB_SCHEDULER"
MAX_LOCAL_WORKERS = 64
CONNECT_TIMEOUT_S = 3  # a scheduler that does not answer in this time is reported, not waited for
ALLOWED = f"local:N (N in [1, {MAX_LOCAL_WORKERS}]) or the address of a running Dask scheduler, tcp://HOST:PORT"
_LOCAL = re.compile(r"local:(\d{1,3})")
_REMOTE = re.compile(r"(tcp|tls)://[A-Za-z0-9.\-\[\]:]{1,253}:\d{1,5}")


def parse_scheduler(text: str) -> str:
    """A scheduler address as given, checked: `local:N` or `tcp://HOST:PORT` (ConfigError otherwise)."""
    text = text.strip()
    local = _LOCAL.fullmatch(text)
    if local and 1 <= int(local.group(1)) <= MAX_LOCAL_WORKERS:
        return f"local:{int(local.group(1))}"
    remote = _REMOTE.fullmatch(text)
    if remote and 0 < int(text.rsplit(":", 1)[1]) < 65536:
        return text
    raise ConfigError("--scheduler", text, ALLOWED)


def scheduler_address(option: str | None) -> str | None:
    """The scheduler to use: the option, else SCALING_LAB_SCHEDULER, else None (the local process pool)."""
    chosen = option or os.environ.get(SCHEDULER_ENV, "").strip()
    return parse_scheduler(chosen) if chosen else None


def local_workers(address: str) -> int | None:
    """N of a `local:N` address; None for a remote scheduler."""
    local = _LOCAL.fullmatch(address)
    return int(local.group(1)) if local else None


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """A `distributed.Client` on the scheduler at `address`; `local:N` starts (and ends) a LocalCluster of N
    single-threaded worker processes. An unreachable scheduler is a one-line ConfigError naming it."""
    from distributed import Client, LocalCluster

    address = parse_scheduler(address)
    workers = local_workers(address)
    if workers is not None:
        # A free port for the dashboard, so two local clusters (or another app on 8787) never collide.
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
            Client(cluster, set_as_default=False) as client,
        ):
            yield client
        return
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        reason = f"none answered within {CONNECT_TIMEOUT_S} s: {type(exc).__name__}"
        raise ConfigError("--scheduler", address, f"the address of a running Dask scheduler ({reason})") from None
    with client:
        yield client


def dashboard_link(client: Any) -> str | None:
    """The link to the cluster's Dask dashboard, or None when it serves none.

    The scheduler always answers on its HTTP port, but the dashboard's pages need bokeh (not a dependency of this
    package) in the scheduler's environment: the link is given only where the scheduler can import it."""
    import importlib.util

    try:
        if "dashboard" not in client.scheduler_info().get("services", {}):
            return None
        # find_spec travels by reference, so the scheduler needs nothing of this package to answer.
        has_bokeh = client.run_on_scheduler(importlib.util.find_spec, "bokeh") is not None
    except (OSError, TimeoutError):
        return None
    return client.dashboard_link if has_bokeh else None
