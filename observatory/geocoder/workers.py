"""Large batches searched in worker processes, each with a few threads.

An addok search is about half Python (tokens, n-gram scoring) and half waiting on Redis (some
fifteen round trips). Threads of one process overlap the waits but share one GIL for the
Python half; processes (one per core) each run the Python half on their own core, and their
threads still overlap the waits. Measured on 2 cores (benchmarks/RESULTS.md, issue 19): two
processes of two threads each search about 1.3 to 1.8 times as many addresses a second as four
threads of one process.

The pool is started on the first large batch (about a second: a fresh interpreter imports
addok) and kept for the next ones, for the same Redis; smaller batches stay in threads of the
calling process (observatory/geocoder/engine.py).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from observatory.settings import Settings

if TYPE_CHECKING:
    from observatory.geocoder.engine import Result

PROCESSES = max(2, min(os.cpu_count() or 2, 4))
THREADS_PER_PROCESS = 2
# Below this many distinct addresses, threads of the calling process are as fast as a pool.
POOL_MIN = 400
CHUNK = 64

Key = tuple[str, str | None]

_lock = threading.Lock()
_pool: tuple[tuple[int, int, str], ProcessPoolExecutor] | None = None
_threads: ThreadPoolExecutor | None = None  # in a worker process


def _target(settings: Settings) -> tuple[int, int, str]:
    return (settings.redis_port, settings.redis_db, str(settings.redis_dir.resolve()))


def _start_worker(settings: Settings) -> None:
    global _threads
    from observatory.geocoder.engine import connect

    connect(settings)
    _threads = ThreadPoolExecutor(THREADS_PER_PROCESS, thread_name_prefix="geocode")


def _search_chunk(keys: Sequence[Key]) -> list[Result | None]:
    from observatory.geocoder.engine import _best

    assert _threads is not None
    return list(_threads.map(_best, keys))


def _context() -> multiprocessing.context.BaseContext:
    # forkserver: children forked from a clean server process, never from a threaded caller
    # (the API, the importer's threads); spawn where there is none.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _get_pool(settings: Settings) -> ProcessPoolExecutor:
    global _pool
    target = _target(settings)
    with _lock:
        if _pool is not None and _pool[0] != target:
            _pool[1].shutdown(wait=False, cancel_futures=True)
            _pool = None
        if _pool is None:
            pool = ProcessPoolExecutor(
                PROCESSES,
                mp_context=_context(),
                initializer=_start_worker,
                initargs=(settings,),
            )
            _pool = (target, pool)
        return _pool[1]


def close_pool() -> None:
    """Stop the worker processes (at exit, or when a test wants them gone)."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool[1].shutdown(wait=True, cancel_futures=True)
            _pool = None


atexit.register(close_pool)


def search_in_processes(keys: Sequence[Key], settings: Settings) -> list[Result | None] | None:
    """The best candidate for each key, searched by the pool; None when the pool broke (a
    worker killed): the caller searches in its own threads then."""
    chunks = [list(keys[i : i + CHUNK]) for i in range(0, len(keys), CHUNK)]
    try:
        found = _get_pool(settings).map(_search_chunk, chunks)
        return [result for chunk in found for result in chunk]
    except BrokenProcessPool:
        close_pool()
        return None
