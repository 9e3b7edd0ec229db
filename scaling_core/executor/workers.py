"""Worker processes that die with the process that started them, so a killed `lab run` leaves none behind.

A training worker holds hundreds of MB and would otherwise run its job to the end after its parent was
killed (SIGKILL runs no cleanup, and the worker only notices when it next talks to the pool).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCH_INTERVAL_S = 1.0


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes, each ending when the process that made the pool ends.

    Use it in a `with` block in the thread that submits: Linux ties a worker's life to the thread that
    started it, and the block keeps that thread alive until the pool is shut down."""
    return ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=die_with_parent, initargs=(os.getpid(),)
    )


def die_with_parent(parent: int) -> None:
    """In a worker: have it killed when `parent` ends (the kernel's parent-death signal on Linux, and a watcher)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
        except (OSError, AttributeError):  # no prctl in this libc: the watcher alone does it
            pass
    # The watcher also covers a parent that died before prctl ran, and systems without prctl.
    threading.Thread(target=watch_parent, args=(parent,), name="watch parent", daemon=True).start()


def watch_parent(parent: int, interval_s: float = WATCH_INTERVAL_S) -> None:
    """End this process as soon as `parent` is no longer its parent (an orphan is adopted by another process)."""
    while os.getppid() == parent:
        time.sleep(interval_s)
    os._exit(1)  # from any thread: ends the whole process, whatever the main thread is computing
