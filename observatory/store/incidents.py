"""The in-memory copy of the incidents, following the data version (observatory/changes.py).

``IncidentStore.snapshot()`` hands out the Snapshot (observatory/store/snapshot.py) of the latest
committed data: the current one while nothing changed, the current one with the new batches merged
in after an import, a full reload after anything else (a deletion, an update: a purge).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Engine, text

from observatory.changes import Changes, changes_since
from observatory.store.read import read_columns
from observatory.store.snapshot import Snapshot, build_snapshot, merged_snapshot

log = logging.getLogger(__name__)

CODES = """
SELECT coalesce(array_agg(DISTINCT commune_code) FILTER (WHERE commune_code IS NOT NULL), '{}'),
       coalesce(array_agg(DISTINCT qpv_2015) FILTER (WHERE qpv_2015 IS NOT NULL), '{}'),
       coalesce(array_agg(DISTINCT qpv_2024) FILTER (WHERE qpv_2024 IS NOT NULL), '{}')
FROM incident
"""


def _merge_codes(known: tuple[str, ...], found: Iterable[str]) -> tuple[str, ...]:
    """Known codes keep their positions; new ones go at the end."""
    seen = set(known)
    return known + tuple(sorted({c for c in found if c not in seen}))


class IncidentStore:
    """Keeps the current Snapshot, following the data version at each ``snapshot()`` call."""

    def __init__(self, engine: Engine, zone: str) -> None:
        self.engine = engine
        self.zone = zone
        self._current: Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The snapshot of the latest committed data.

        New batches are read at once (a few milliseconds per thousand facts). A change that
        needs a full reload (a deletion, an update: a purge) is read at once too, under the
        lock: every answer meanwhile waits for it rather than count facts that are gone.
        """
        with self._lock:
            with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
                current = self._current
                seen = current.version if current is not None else -1
                stamp = current.stamp if current is not None else None
                changes = changes_since(conn, max(seen, 0), stamp)
                if current is not None and (changes.stamp, changes.version) == (stamp, seen):
                    return current
                if current is not None and changes.batches is not None:
                    self._current = self._append(conn, current, changes, changes.batches)
                else:
                    self._current = self._load_all(conn, changes.version, changes.stamp)
                conn.rollback()
            return self._current

    def loaded(self, version: int, stamp: int) -> Snapshot | None:
        """The current snapshot if it is that version with that stamp; no query, no lock."""
        current = self._current
        if current is not None and (current.stamp, current.version) == (stamp, version):
            return current
        return None

    def snapshot_at(self, version: int, stamp: int) -> Snapshot:
        """The snapshot for a version (and its stamp) the caller has just read in its own
        transaction: the current one when it matches (the API reads them on the connection its
        request already holds), else as ``snapshot``."""
        return self.loaded(version, stamp) or self.snapshot()

    def _code_lists(
        self, conn: Connection, where: str, params: dict[str, Any], base: Snapshot | None
    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        categories = conn.execute(text("SELECT code FROM category ORDER BY code")).scalars()
        qpv_codes = conn.execute(text("SELECT code FROM qpv ORDER BY code")).scalars()
        communes, q15, q24 = conn.execute(text(CODES + where), params).one()
        known = base or None
        return (
            _merge_codes(known.categories if known else (), categories),
            _merge_codes(known.communes if known else (), communes),
            _merge_codes(known.qpvs if known else (), [*qpv_codes, *q15, *q24]),
        )

    def _load_all(self, conn: Connection, version: int, stamp: int) -> Snapshot:
        categories, communes, qpvs = self._code_lists(conn, "", {}, None)
        columns = read_columns(conn, self.zone, categories, communes, qpvs, None)
        snapshot = build_snapshot(version, self.zone, columns, categories, communes, qpvs, stamp)
        log.info("Copie en mémoire chargée : %s faits (version %s)", snapshot.size, version)
        return snapshot

    def _append(
        self, conn: Connection, base: Snapshot, changes: Changes, batches: Sequence[int]
    ) -> Snapshot:
        where = " WHERE batch_id = ANY(:batches)"
        categories, communes, qpvs = self._code_lists(conn, where, {"batches": list(batches)}, base)
        columns = read_columns(conn, self.zone, categories, communes, qpvs, batches)
        log.info("Copie en mémoire : %s faits ajoutés (lots %s)", columns.size, list(batches))
        merged = merged_snapshot(base, changes.version, columns, categories, communes, qpvs)
        return replace(merged, stamp=changes.stamp)
