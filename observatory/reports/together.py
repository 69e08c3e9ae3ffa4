"""A pack of several communes together (an EPCI's, a CISPD's): their outlines as one area, its
title (the group's label when the communes are exactly a named group's), and their QPV and the
rest of their territory compared as one commune's would be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import shapely
from sqlalchemy import Connection, text

from observatory.analytics.filters import Filter
from observatory.errors import InvalidInput
from observatory.figures.qpvpopulation import borrow_populations
from observatory.figures.territories import CommuneTerritories, NamedPlace, territories
from observatory.privacy.policy import Disclosure
from observatory.reports.model import Area
from observatory.reports.request import PackRequest
from observatory.store.snapshot import Snapshot

COMMUNES = """
SELECT code, name, population, ST_AsBinary(geom) AS wkb FROM commune
WHERE code = ANY(CAST(:codes AS varchar(5)[])) ORDER BY name, code
"""
QPVS = """
SELECT code, name, population, commune_codes, ST_AsBinary(geom) AS wkb FROM qpv
WHERE generation = :generation AND commune_codes && CAST(:codes AS varchar(5)[])
ORDER BY code
"""
GROUPS = "SELECT name, label, communes FROM commune_group ORDER BY name"
# A title names up to this many communes, then says how many more.
NAMED_IN_TITLE = 4


def names_title(names: Sequence[str]) -> str:
    """« Blagnac et Colomiers », « A, B, C et D », « A, B, C, D et 3 autres communes »."""
    if len(names) > NAMED_IN_TITLE:
        rest = len(names) - NAMED_IN_TITLE
        return f"{', '.join(names[:NAMED_IN_TITLE])} et {rest} autres communes"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} et {names[-1]}"


def group_areas(conn: Connection, request: PackRequest) -> tuple[Area, list[Area]]:
    """The communes as one area (its code their codes joined, its population their sum when
    each is known) and the QPV that touch any of them."""
    codes = list(request.communes)
    rows = conn.execute(text(COMMUNES), {"codes": codes}).all()
    missing = sorted(set(codes) - {r.code for r in rows})
    if missing:
        raise InvalidInput(
            f"Commune{'s' if len(missing) > 1 else ''} {', '.join(missing)} inconnue"
            f"{'s' if len(missing) > 1 else ''} : importez leur contour (observatory import "
            "communes) avant de produire le pack."
        )
    populations = [r.population for r in rows]
    title = _group_label(conn, set(codes)) or names_title([r.name for r in rows])
    area = Area(
        ", ".join(codes),
        title,
        sum(p for p in populations if p) if all(populations) else None,
        shapely.union_all([shapely.from_wkb(bytes(r.wkb)) for r in rows]),
        tuple(codes),
    )
    qpvs = [
        Area(q.code, q.name, q.population, shapely.from_wkb(bytes(q.wkb)), tuple(q.commune_codes))
        for q in conn.execute(text(QPVS), {"generation": request.generation, "codes": codes})
    ]
    return area, borrow_populations(conn, qpvs, request.generation)


def _group_label(conn: Connection, codes: set[str]) -> str | None:
    """The label (else the name) of the named group that is exactly these communes."""
    for row in conn.execute(text(GROUPS)):
        if set(row.communes) == codes:
            return str(row.label or row.name)
    return None


def group_territories(
    snapshot: Snapshot, f: Filter, area: Area, qpvs: Sequence[Area], secrecy: Disclosure
) -> CommuneTerritories:
    """Each QPV, the rest of the communes outside every QPV and the communes as a whole: the
    snapshot (of these communes only) read as if they were one commune."""
    one = merged(snapshot, area.code)
    inside = set(area.communes)
    places = [
        # A QPV wholly within the communes lies in the merged one; one that crosses out of
        # them keeps its other communes (its population is then not subtracted from the rest).
        NamedPlace(
            q.code,
            q.name,
            q.population,
            (area.code, *sorted(set(q.communes) - inside)),
            q.population_from,
        )
        for q in qpvs
    ]
    merged_place = NamedPlace(area.code, area.name, area.population, (area.code,))
    return territories(one, f.but(commune=None), [merged_place], places, secrecy)[0]


def merged(snapshot: Snapshot, code: str) -> Snapshot:
    """The snapshot with every commune of its facts read as one, named ``code``."""
    column = np.where(snapshot.commune > 0, 1, 0).astype(snapshot.commune.dtype)
    return replace(snapshot, commune=column, communes=(code,))
