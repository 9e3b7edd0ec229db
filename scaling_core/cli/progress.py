"""Progress bars of the long commands: on stderr, shown only on a terminal, started only once the arguments passed."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Progress = Callable[[int, int], None]


@contextmanager
def progress_bar(description: str, unit: str = "it") -> Iterator[Progress]:
    """A tqdm bar on stderr and the (done, total) callback that moves it; closed (its line ended) even on an error,
    so an error line that follows starts on a line of its own."""
    from tqdm import tqdm

    bar = tqdm(desc=description, unit=unit, file=sys.stderr, disable=not sys.stderr.isatty())

    def progress(done: int, total: int) -> None:
        bar.total, bar.n = total, done
        bar.refresh()

    try:
        yield progress
    finally:
        bar.close()


def with_progress(doing: str, done: str, work: Callable[[Progress], int]) -> tuple[int, float]:
    """Run work(progress) under a progress bar, say on stderr how many it `done` and in how long; both returned."""
    start = time.perf_counter()
    with progress_bar(doing, unit="run") as progress:
        count = work(progress)
    elapsed = time.perf_counter() - start
    sys.stderr.write(f"{done.format(count)} in {elapsed:.0f} s (the rest were in the store)\n")
    return count, elapsed
