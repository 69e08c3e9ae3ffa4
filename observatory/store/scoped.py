"""Snapshots restricted to a scope's communes, kept for the next request of the same scope.

A caller with a scope (observatory/scopes.py) is answered from ``restricted(snapshot, scope)``
(observatory/store/snapshot.py): every engine answer then holds the facts of its communes only,
as if the others had never been read. Restricting costs a pass over the columns (tens of
milliseconds for a million facts), so each process keeps the last few (snapshot, scope) pairs,
least recently used out first: a town's dozen users share one copy, and a new import or purge
(another stamp or version) makes new keys while the old ones age out.

A partner's snapshot is the published release (observatory/privacy/partner.py) restricted the
same way: the release's four tabulations are all by commune, so the restricted release IS the
per-scope release, with no more privacy budget spent: a partner of {A} and a partner of {A, B}
read the very same noisy numbers for A.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from observatory.store.snapshot import Snapshot, restricted

# A few scopes per process: each restricted copy holds its communes' share of the facts.
DEFAULT_KEPT = 8


class ScopedSnapshots:
    """Restricted snapshots by (stamp, version, release months, scope); thread-safe LRU."""

    def __init__(self, kept: int = DEFAULT_KEPT) -> None:
        self.kept = kept
        self._views: OrderedDict[tuple[object, ...], Snapshot] = OrderedDict()
        self._lock = threading.Lock()
        self.built = 0  # restrictions computed (for the tests)

    def view(self, snapshot: Snapshot, scope: frozenset[str] | None) -> Snapshot:
        """The snapshot itself for every commune (None), else its restriction to the scope."""
        if scope is None:
            return snapshot
        key = (snapshot.stamp, snapshot.version, snapshot.release_months, scope)
        with self._lock:
            found = self._views.get(key)
            if found is not None:
                self._views.move_to_end(key)
                return found
        view = restricted(snapshot, scope)
        with self._lock:
            self.built += 1
            self._views[key] = view
            self._views.move_to_end(key)
            while len(self._views) > self.kept:
                self._views.popitem(last=False)
        return view

    def __len__(self) -> int:
        return len(self._views)
