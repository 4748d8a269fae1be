"""Work spread over the machine's cores, with results in the order of the input.

One rule for every stage that runs in parallel: child processes are started with "spawn" (forking a
process that may run threads is not safe), at most one per core, and only when there is enough work
to repay starting them (each imports the build's libraries: about a second). The results come back
in the order the items were given, so the output never depends on which process finished first.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

ENV = "OPENTALLY_PROCESSES"  # at most this many processes (1: everything in this one)


def processes() -> int:
    """How many processes may work at once: one per core (``OPENTALLY_PROCESSES`` may lower it)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        wanted = int(os.environ.get(ENV) or cores)
    except ValueError:
        wanted = cores
    return max(1, min(cores, wanted))


def ordered_map(function: Callable[[T], R], items: Sequence[T], at_least: int = 8) -> list[R]:
    """``[function(item) for item in items]``, in processes of their own when there are ``at_least``
    items and more than one core; ``function`` and the items must be picklable."""
    workers = min(processes(), len(items))
    if workers < 2 or len(items) < at_least:
        return [function(item) for item in items]
    chunk = max(1, len(items) // (workers * 4))
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(function, items, chunksize=chunk))
