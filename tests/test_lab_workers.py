"""A killed `lab run` leaves no worker behind: the training pool's workers die with the process that made them."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The pool `lab run` trains in, each worker holding a job (as a long training would) and saying its pid.
POOL = """
import os, sys, time
sys.path.insert(0, {root!r})
from scaling_core.executor.workers import worker_pool

def hold():
    print(os.getpid(), flush=True)
    time.sleep(600)

if __name__ == "__main__":
    with worker_pool(2) as pool:
        futures = [pool.submit(hold) for _ in range(2)]
        time.sleep(600)
"""

# A child that only has the watcher (as on a system without prctl) under a parent that then is killed.
WATCHED = """
import os, sys, time
sys.path.insert(0, {root!r})
from scaling_core.executor.workers import watch_parent

parent = os.getpid()
child = os.fork()
if child == 0:
    watch_parent(parent, interval_s=0.05)
else:
    print(child, flush=True)
    time.sleep(600)
"""

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its new parent to reap it has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def kill_and_watch(script: str, tmp_path: Path, children: int) -> list[int]:
    """Start script, read the pids its children print, SIGKILL it; the children still alive 5 s later."""
    path = tmp_path / "parent.py"
    path.write_text(script.format(root=str(ROOT)))
    parent = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, text=True)
    pids: list[int] = []
    try:
        pids = [int(parent.stdout.readline()) for _ in range(children)]
        assert all(alive(pid) for pid in pids)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        return [pid for pid in pids if alive(pid)]
    finally:
        parent.kill()
        parent.stdout.close()
        for pid in pids:  # only if the test failed: leave nothing behind
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_pools_workers_die_with_a_killed_parent(tmp_path):
    assert kill_and_watch(POOL, tmp_path, children=2) == []


def test_the_watcher_alone_ends_an_orphaned_worker(tmp_path):
    assert kill_and_watch(WATCHED, tmp_path, children=1) == []
