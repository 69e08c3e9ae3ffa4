"""Rows with an address and no coordinates, placed by the offline geocoder (addok) at import.

The parser leaves such rows without a point (ingest.incidents.places.locate); here each chunk's
distinct (address, commune) pairs go to ``geocode_batch`` in one call, restricted to the row's
commune: its INSEE code, else the commune its commune-name column names (the `commune` table),
else the mapping's ``commune``. A result is kept when its score reaches
``settings.geocode_min_score``, when it is more precise than the whole commune, and when its
commune is allowed: the row's, or, for a row that names none, one of the communes imported in
the database (any commune when none is). The others are rejected « adresse introuvable »
with the best candidate; when the geocoder is down or holds no reference, all of them are
rejected « non géolocalisé » with what to do. Rows placed carry the geocoder's score, label
and type; the territory checks of the file's own points apply to theirs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd
import redis
from sqlalchemy import Connection, text

from ingest.incidents.mapping import Territory
from ingest.incidents.places import BBox, check_territory
from ingest.incidents.reading import RawChunk
from ingest.incidents.rows import raw_values
from observatory.categories import normalise_label
from observatory.geocoder import Result, geocode_batch
from observatory.geocoder.load import COMMUNES_KEY
from observatory.settings import Settings

log = logging.getLogger(__name__)

GEOCODE_COLUMNS = ("geocode_score", "geocode_label", "geocode_type")
KEPT_TYPES = ("housenumber", "street", "locality")
# The first words of the reasons that `observatory imports regeocode` runs again.
GEOCODER_DOWN = (
    "non géolocalisé : géocodeur arrêté ou sans référence d'adresses "
    "(observatory geocoder start, puis load)"
)
RERUN_PREFIXES = ("non géolocalisé", "adresse introuvable")


def french_score(score: float) -> str:
    return f"{score:.2f}".replace(".", ",")


def not_found(address: str, best: Result | None, outside: bool = False) -> str:
    """The reason of an address the geocoder could not place well enough."""
    if best is None:
        return f"adresse introuvable : « {address} » (aucune proposition)"
    where = ", hors des communes attendues" if outside else ""
    if best.type == "municipality":
        where = ", la commune seulement"
    return (
        f"adresse introuvable : « {address} » (meilleure proposition : « {best.label} », "
        f"score {french_score(best.score)}{where})"
    )


def geocoder_ready(settings: Settings) -> bool:
    """True when the settings' Redis answers and holds at least one commune's addresses."""
    client = redis.Redis(
        host="127.0.0.1",
        port=settings.redis_port,
        db=settings.redis_db,
        socket_connect_timeout=2,
        socket_timeout=5,
    )
    try:
        return int(cast(int, client.scard(COMMUNES_KEY))) > 0
    except redis.RedisError:
        return False
    finally:
        client.close()


@dataclass
class AddressPlacer:
    """What one import geocodes against: the settings, the communes, the checks of places."""

    settings: Settings
    communes: dict[str, str]  # normalised name -> INSEE code, from the `commune` table
    default_commune: str | None = None
    name_column: str | None = None  # the file's commune-name header, if any
    territory: Territory = "france"
    territory_bbox: BBox | None = None
    _ready: bool | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls,
        conn: Connection,
        settings: Settings,
        *,
        default_commune: str | None = None,
        territory: Territory = "france",
    ) -> AddressPlacer:
        rows = conn.execute(text("SELECT code, name FROM commune")).all()
        names = {normalise_label(str(name)): str(code) for code, name in rows}
        names.update({str(code): str(code) for code, _ in rows})
        return cls(
            settings=settings,
            communes=names,
            default_commune=default_commune,
            territory=territory,
            territory_bbox=settings.territory_bbox,
        )

    @property
    def allowed(self) -> set[str]:
        return set(self.communes.values())

    def ready(self) -> bool:
        """Whether the geocoder can be used, asked once per import."""
        if self._ready is None:
            self._ready = geocoder_ready(self.settings)
            if not self._ready:
                log.warning("Géocodeur indisponible : les adresses sans coordonnées sont rejetées")
        return self._ready

    def place(self, rows: pd.DataFrame, chunk: RawChunk) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Rows all placed (with the geocode columns), and the rejects of the unplaced ones."""
        pending = np.isnan(rows["lon"].to_numpy(dtype="float64"))
        if not pending.any():  # the usual case: every row has its point, nothing to add
            return rows, _rejects(chunk, rows.iloc[:0], [])
        rows = rows.assign(
            geocode_score=np.full(len(rows), np.nan, dtype="float32"),
            geocode_label=pd.Series([None] * len(rows), index=rows.index, dtype=object),
            geocode_type=pd.Series([None] * len(rows), index=rows.index, dtype=object),
        )
        todo = rows.loc[pending]
        if not self.ready():
            return rows.loc[~pending], _rejects(chunk, todo, [GEOCODER_DOWN] * len(todo))
        communes = self._communes(todo)
        texts = self._texts(todo, communes)
        pairs = list(zip(texts, communes, strict=True))
        distinct = list(dict.fromkeys(pairs))
        try:
            found = dict(zip(distinct, geocode_batch(distinct, self.settings), strict=True))
        except redis.RedisError:
            log.exception("Géocodeur injoignable pendant l'import")
            self._ready = False
            return rows.loc[~pending], _rejects(chunk, todo, [GEOCODER_DOWN] * len(todo))
        best = [found[pair] for pair in pairs]
        reasons = self._judge(todo, best, communes)
        lon = np.array([b.lon if b else np.nan for b in best], dtype="float64")
        lat = np.array([b.lat if b else np.nan for b in best], dtype="float64")
        kept = np.array([r is None for r in reasons])
        lon[~kept], lat[~kept] = np.nan, np.nan
        territory_errors = pd.Series([None] * len(todo), dtype=object)
        check_territory(lon, lat, territory_errors, self.territory, self.territory_bbox)
        for position in np.flatnonzero(territory_errors.notna().to_numpy()):
            reasons[position] = str(territory_errors.iloc[position])
        kept = np.array([r is None for r in reasons])
        placed = todo.loc[kept].copy()
        chosen = [b for b, k in zip(best, kept, strict=True) if k and b is not None]
        placed["lon"] = [b.lon for b in chosen]
        placed["lat"] = [b.lat for b in chosen]
        placed["geocode_score"] = np.array([b.score for b in chosen], dtype="float32")
        placed["geocode_label"] = [b.label for b in chosen]
        placed["geocode_type"] = [b.type for b in chosen]
        # A row named a commune the point confirms, or none: the point's commune is then found
        # from the polygons, as for the file's own points (ingest.incidents.rows).
        out = pd.concat([rows.loc[~pending], placed]).sort_values("row_number", kind="stable")
        failed = todo.loc[~kept]
        why = [r for r in reasons if r is not None]
        return out.reset_index(drop=True), _rejects(chunk, failed, why)

    def _communes(self, todo: pd.DataFrame) -> list[str | None]:
        """Each row's commune: its code, else its commune name's, else the mapping's."""
        codes = todo["commune_code"].to_numpy(dtype=object)
        names: list[object] = [None] * len(todo)
        if self.name_column is not None:
            names = [a.get(self.name_column) for a in todo["attributes"]]
        out: list[str | None] = []
        for code, name in zip(codes, names, strict=True):
            if isinstance(code, str) and code:
                out.append(code)
            elif isinstance(name, str) and normalise_label(name) in self.communes:
                out.append(self.communes[normalise_label(name)])
            else:
                out.append(self.default_commune)
        return out

    def _texts(self, todo: pd.DataFrame, communes: list[str | None]) -> list[str]:
        """The addresses; a commune name no code stands for is added to the text."""
        texts = [str(a) for a in todo["address"]]
        if self.name_column is None:
            return texts
        out = []
        for address, attrs, code in zip(texts, todo["attributes"], communes, strict=True):
            name = attrs.get(self.name_column)
            if code is None and isinstance(name, str) and name.lower() not in address.lower():
                address = f"{address} {name}"
            out.append(address)
        return out

    def _judge(
        self, todo: pd.DataFrame, best: list[Result | None], communes: list[str | None]
    ) -> list[str | None]:
        """None for a result kept, else the reason of the reject."""
        threshold = self.settings.geocode_min_score
        allowed = self.allowed
        reasons: list[str | None] = []
        for address, result, commune in zip(todo["address"], best, communes, strict=True):
            if result is None:
                reasons.append(not_found(str(address), None))
                continue
            wanted = {commune} if commune else allowed
            inside = not wanted or result.citycode in wanted
            if result.score >= threshold and result.type in KEPT_TYPES and inside:
                reasons.append(None)
            else:
                reasons.append(not_found(str(address), result, outside=not inside))
        return reasons


def _rejects(chunk: RawChunk, rows: pd.DataFrame, reasons: list[str]) -> pd.DataFrame:
    numbers = rows["row_number"].to_numpy(dtype="int64")
    return pd.DataFrame(
        {
            "row_number": numbers,
            "raw": raw_values(chunk, numbers),
            "reason": pd.Series(reasons, dtype=object),
        }
    )
