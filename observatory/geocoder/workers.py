"""Large batches searched in worker processes, each with a few threads.

An addok search is about half Python (tokens, n-gram scoring) and half waiting on Redis (some
fifteen round trips). Threads of one process overlap the waits but share one GIL for the
Python half; processes (one per core) each run the Python half on their own core, and their
threads still overlap the waits. Measured on 2 cores (benchmarks/RESULTS.md, issue 19): two
processes of two threads each search about 1.3 to 1.8 times as many addresses a second as four
threads of one process.

The workers are started on the first large batch (a second or more: a fresh interpreter
imports addok) and kept for the next ones, for the same Redis; smaller batches stay in threads
of the calling process (observatory/geocoder/engine.py).
"""

from __future__ import annotations

import atexit
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

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
_pool: tuple[tuple[int, int, str], list[_Worker]] | None = None


def _send(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(4)
    if len(head) < 4:
        raise EOFError
    (size,) = struct.unpack(">I", head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # noqa: S301 (our own child process, on its own pipe)


class _Worker:
    """One `python -m observatory.geocoder.workers` child, fed chunks of keys on its stdin.

    A plain child process rather than multiprocessing's: multiprocessing's spawn and forkserver
    run the caller's main script again in the child (a script without a ``__main__`` guard
    would run twice), and fork copies a threaded caller (the API, the importer) unsafely.
    """

    def __init__(self, settings: Settings) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "observatory.geocoder.workers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin: IO[bytes] = self.process.stdin
        self.stdout: IO[bytes] = self.process.stdout
        _send(self.stdin, settings)

    def search(self, keys: list[Key]) -> list[Result | None]:
        _send(self.stdin, keys)
        found: list[Result | None] = _receive(self.stdout)
        return found

    def close(self) -> None:
        try:
            self.stdin.close()
            self.process.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def _target(settings: Settings) -> tuple[int, int, str]:
    return (settings.redis_port, settings.redis_db, str(settings.redis_dir.resolve()))


def _get_pool(settings: Settings) -> list[_Worker]:
    global _pool
    target = _target(settings)
    if _pool is not None and _pool[0] != target:
        _close(_pool[1])
        _pool = None
    if _pool is None:
        _pool = (target, [_Worker(settings) for _ in range(PROCESSES)])
    return _pool[1]


def _close(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.close()


def close_pool() -> None:
    """Stop the worker processes (at exit, or when a test wants them gone)."""
    global _pool
    with _lock:
        if _pool is not None:
            _close(_pool[1])
            _pool = None


atexit.register(close_pool)


def search_in_processes(keys: Sequence[Key], settings: Settings) -> list[Result | None] | None:
    """The best candidate for each key, searched by the worker processes; None when one of
    them failed (it is stopped, and the caller searches in its own threads)."""
    global _pool
    chunks = [list(keys[i : i + CHUNK]) for i in range(0, len(keys), CHUNK)]
    answers: list[list[Result | None] | None] = [None] * len(chunks)
    with _lock:  # one batch at a time on the workers
        workers = _get_pool(settings)
        following = iter(range(len(chunks)))
        taking = threading.Lock()
        failed: list[BaseException] = []

        def feed(worker: _Worker) -> None:
            while not failed:
                with taking:
                    index = next(following, None)
                if index is None:
                    return
                try:
                    answers[index] = worker.search(chunks[index])
                except (OSError, EOFError, pickle.PickleError) as exc:
                    failed.append(exc)

        feeders = [threading.Thread(target=feed, args=(w,)) for w in workers]
        for feeder in feeders:
            feeder.start()
        for feeder in feeders:
            feeder.join()
        if failed:
            _close(workers)
            _pool = None
            return None
    return [result for chunk in answers if chunk is not None for result in chunk]


def serve() -> None:
    """A worker's loop: the settings, then chunks of keys in, their best candidates out."""
    from observatory.geocoder.engine import _best, connect

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers on the pipe
    connect(_receive(stdin))
    with ThreadPoolExecutor(THREADS_PER_PROCESS, thread_name_prefix="geocode") as threads:
        while True:
            try:
                keys = _receive(stdin)
            except EOFError:
                return
            _send(stdout, list(threads.map(_best, keys)))


if __name__ == "__main__":
    serve()
