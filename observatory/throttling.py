"""Failures remembered over a sliding window, per key, for a bounded number of keys.

The two throttles of the API count with it: wrong bearer tokens per address and prefix
(api/security.py ``FailedSignIns``) and sign-in failures per address, account and device
(observatory/accounts/throttle.py). Keys are kept in the order of their last failure and the
least recently failed are forgotten past ``max_keys``: an IPv6 network has addresses enough to
fill any memory, and a key seen once must not stay for ever.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable


class RecentFailures:
    """The times of the failures of each key within the last ``window`` seconds."""

    def __init__(
        self, window: float, max_keys: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._seen: OrderedDict[Hashable, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: Hashable, now: float) -> deque[float]:
        times = self._seen.get(key)
        if times is None:
            return deque()
        while times and now - times[0] > self.window:
            times.popleft()
        if not times:
            del self._seen[key]
        return times

    def times(self, key: Hashable, now: float) -> tuple[float, ...]:
        """The key's failures still within the window, oldest first."""
        with self._lock:
            return tuple(self._recent(key, now))

    def add(self, keys: tuple[Hashable, ...], now: float) -> None:
        """One failure now for each of these keys."""
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                times.append(now)
                self._seen[key] = times
                self._seen.move_to_end(key)
            while len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._seen.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    def __len__(self) -> int:
        return len(self._seen)
