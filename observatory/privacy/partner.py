"""What a partner reads: the published release laid out as a snapshot of pseudo-facts.

Every partner answer — map, hot spots, emerging hot spots, time slots, trends, CompStat,
territories, exports, tiles, the pack — runs the same analytics as everyone's, on this snapshot
instead of the incidents: it holds nothing but the published counts, so whatever a partner asks,
and however often, is post-processing of the release (no further privacy loss), and every total
a partner sees for a filter is the same on every page. The pseudo-facts of a month all sit on
its first day, at the centre of their resolution-8 cell: periods are whole months, and a bbox
keeps or leaves whole cells.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import h3
import numpy as np
from sqlalchemy import Engine

from observatory.privacy.publication import (
    Publication,
    publish_closed,
    published_stamps,
    read_publication,
)
from observatory.privacy.release import MonthRelease
from observatory.store.snapshot import Columns, Snapshot, build_snapshot, date_to_day

FINE = 11  # the snapshot's cells are resolution 11: a pseudo-fact sits in its res-8 cell's centre


def _codes(months: tuple[MonthRelease, ...], name: str) -> tuple[str, ...]:
    return tuple(sorted({c for m in months for c in getattr(m, name) if c}))


def partner_snapshot(publication: Publication, like: Snapshot) -> Snapshot:
    """The published months as a snapshot (the version and stamp of ``like``, the data it
    was checked against)."""
    months = publication.months
    categories = _codes(months, "categories")
    communes = _codes(months, "communes")
    qpvs = _codes(months, "qpvs")
    # The release does not measure how precisely facts were geocoded: no `coarse` column.
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in Columns.__dataclass_fields__ if k != "coarse"
    }
    for m in months:
        n = m.count.astype(np.int64)
        cat = np.array([categories.index(c) for c in m.categories], np.int64)[m.category]
        com = np.array([communes.index(c) + 1 for c in m.communes], np.int64)[m.commune]
        qpv = np.array([qpvs.index(q) + 1 if q else 0 for q in m.qpvs], np.int64)[m.qpv]
        cells, where = np.unique(m.cell, return_inverse=True)
        centre = np.array([h3.cell_to_latlng(h3.int_to_str(int(c))) for c in cells]).reshape(-1, 2)
        fine = np.array(
            [h3.str_to_int(h3.cell_to_center_child(h3.int_to_str(int(c)), FINE)) for c in cells],
            np.int64,
        )
        day = date_to_day(m.month)
        parts["day"].append(np.full(int(n.sum()), day, np.int16))
        parts["how"].append(np.repeat(m.how.astype(np.int16), n))
        parts["category"].append(np.repeat(cat.astype(np.uint8), n))
        parts["commune"].append(np.repeat(com.astype(np.uint16), n))
        parts["qpv_2015"].append(np.zeros(int(n.sum()), np.uint16))
        parts["qpv_2024"].append(np.repeat(qpv.astype(np.uint16), n))
        parts["cell11"].append(np.repeat(fine[where], n))
        parts["lon"].append(np.repeat(centre[where, 1], n))
        parts["lat"].append(np.repeat(centre[where, 0], n))
        zero = np.zeros(int(n.sum()), np.int64)
        parts["start_s"].append(zero)
        parts["until_s"].append(zero)
    empty = {
        "day": np.int16,
        "how": np.int16,
        "category": np.uint8,
        "commune": np.uint16,
        "qpv_2015": np.uint16,
        "qpv_2024": np.uint16,
        "cell11": np.int64,
        "lon": np.float64,
        "lat": np.float64,
        "start_s": np.int64,
        "until_s": np.int64,
    }
    columns = Columns(
        **{k: np.concatenate(v) if v else np.zeros(0, empty[k]) for k, v in parts.items()}
    )
    built = build_snapshot(like.version, like.zone, columns, categories, communes, qpvs, like.stamp)
    return replace(built, release_months=tuple(m.month for m in months), coarse=None)


def release_version(published: tuple[tuple[date, datetime], ...]) -> int:
    """A number that changes when, and only when, a month is published or withdrawn."""
    digest = hashlib.blake2b(repr(published).encode(), digest_size=6).digest()
    return int.from_bytes(digest, "big")


class PartnerReleases:
    """The partner snapshot of a process: the published months are read and laid out again only
    when they change (a month published, or withdrawn by a purge), not at every import."""

    def __init__(self, engine: Engine, settings: Any) -> None:
        self._engine = engine
        self._settings = settings
        self._lock = threading.Lock()
        self._kept: tuple[tuple[int, int, date], Snapshot] | None = None
        self._published: tuple[tuple[date, datetime], ...] | None = None

    def view(self, snapshot: Snapshot, today: date) -> Snapshot:
        key = (snapshot.stamp, snapshot.version, today)
        kept = self._kept
        if kept is not None and kept[0] == key:
            return kept[1]
        with self._lock:
            kept = self._kept
            if kept is not None and kept[0] == key:
                return kept[1]
            publish_closed(self._engine, snapshot, today, self._settings)
            with self._engine.connect() as conn:
                published = published_stamps(conn)
                if kept is not None and published == self._published:
                    view = kept[1]
                else:
                    view = partner_snapshot(read_publication(conn), snapshot)
                    # The version a partner reads is the release's, not the incidents': an
                    # import into a published month must not show in a partner's answer.
                    view = replace(view, version=release_version(published), stamp=0)
            self._published = published
            self._kept = (key, view)
            return view
