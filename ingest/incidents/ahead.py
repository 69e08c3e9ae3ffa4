"""Iterators worked ahead by a thread, so that the stages of an import overlap.

The import's stages spend much of their time where Python lets other threads run (file reads,
Arrow and numpy kernels, H3, GEOS, the server's COPY): chained through ``Ahead``, reading one
chunk, parsing the one before, enriching the one before that and copying the previous one
run at the same time.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

Item = TypeVar("Item")
POLL = 0.1  # seconds between checks that the consumer still wants items


class _End:
    """What the thread sends last: the error that stopped it, if any."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class Ahead(Iterator[Item], Generic[Item]):
    """The items, computed by a thread started at once, up to ``depth`` in advance.

    An error of the thread is raised where the item would have been taken. ``close()`` stops
    the thread after its current item, and closes the items' iterator.
    """

    def __init__(self, items: Iterator[Item], name: str, depth: int = 2) -> None:
        self._box: queue.Queue[Item | _End] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._ended = False
        self._thread = threading.Thread(target=self._work, args=(items,), name=name, daemon=True)
        self._thread.start()

    def __next__(self) -> Item:
        if self._ended:
            raise StopIteration
        item = self._box.get()
        if isinstance(item, _End):
            self._ended = True
            self.close()
            if item.error is not None:
                raise item.error
            raise StopIteration
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def _hand(self, item: Item | _End) -> bool:
        while not self._stop.is_set():
            try:
                self._box.put(item, timeout=POLL)
                return True
            except queue.Full:
                continue
        return False

    def _work(self, items: Iterator[Item]) -> None:
        try:
            for item in items:
                if not self._hand(item):
                    return
            self._hand(_End())
        except BaseException as error:  # raised again in the consumer's thread
            self._hand(_End(error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
