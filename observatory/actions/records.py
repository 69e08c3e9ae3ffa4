"""Actions of the STSPD in the database: record one, list them, read one back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from observatory.actions.places import Place, polygon_place
from observatory.analytics.filters import FIRST_DAY, LAST_DAY, parse_categories
from observatory.errors import InvalidInput, NotFound

KINDS: dict[str, str] = {
    "videoprotection": "Vidéoprotection",
    "mediation": "Médiation",
    "eclairage": "Éclairage public",
    "cellule_de_veille": "Cellule de veille",
    "presence_policiere": "Présence policière",
    "amenagement": "Aménagement de l'espace",
    "prevention": "Prévention",
    "autre": "Autre",
}
MAX_TEXT = 500

# The treated area from the place as given, by kind (an allow-list: no SQL from input).
AREA_SQL = {
    "point": "ST_Multi(ST_Buffer(p.g::geography, :buffer, 'quad_segs=16')::geometry)",
    "line": "ST_Multi(ST_Buffer(p.g::geography, :buffer, 'quad_segs=8')::geometry)",
    "polygon": "ST_Multi(ST_CollectionExtract(ST_MakeValid(p.g), 3))",
}

INSERT = """
WITH p AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:place), 4326) AS g),
     a AS (SELECT p.g AS place, {area} AS geom FROM p)
INSERT INTO action (title, reference, kind, start_date, end_date, place_kind, place,
                    place_buffer_m, geom, control_geom, categories, note, commune_code,
                    created_by)
SELECT :title, :reference, :kind, :start, :end, :place_kind, a.place, :buffer, a.geom,
       CASE WHEN CAST(:control AS text) IS NULL THEN NULL
            ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(
                 ST_SetSRID(ST_GeomFromGeoJSON(CAST(:control AS text)), 4326)), 3)) END,
       :categories, :note,
       (SELECT c.code FROM commune AS c WHERE ST_Intersects(c.geom, a.geom)
        ORDER BY ST_Area(ST_Intersection(c.geom, a.geom)) DESC, c.code LIMIT 1),
       :created_by
FROM a
RETURNING id
"""

UPDATE = """
WITH p AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:place), 4326) AS g),
     a AS (SELECT p.g AS place, {area} AS geom FROM p)
UPDATE action AS t
SET title = :title, reference = :reference, kind = :kind, start_date = :start,
    end_date = :end, place_kind = :place_kind, place = a.place, place_buffer_m = :buffer,
    geom = a.geom,
    control_geom = CASE WHEN CAST(:control AS text) IS NULL THEN NULL
        ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(
             ST_SetSRID(ST_GeomFromGeoJSON(CAST(:control AS text)), 4326)), 3)) END,
    categories = :categories, note = :note,
    commune_code = (SELECT c.code FROM commune AS c WHERE ST_Intersects(c.geom, a.geom)
                    ORDER BY ST_Area(ST_Intersection(c.geom, a.geom)) DESC, c.code LIMIT 1)
FROM a
WHERE t.id = :id
RETURNING t.id
"""

COLUMNS = """
SELECT a.id, a.title, a.reference, a.kind, a.start_date, a.end_date, a.place_kind,
       a.place_buffer_m, a.categories, a.note, a.commune_code, cm.name AS commune_name,
       a.created_at, a.created_by, a.control_geom IS NOT NULL AS has_control,
       ST_Area(a.geom::geography) AS area_m2,
       ST_AsGeoJSON(a.geom, 6) AS geometry, ST_AsGeoJSON(a.control_geom, 6) AS control
FROM action AS a LEFT JOIN commune AS cm ON cm.code = a.commune_code
"""


@dataclass(frozen=True)
class NewAction:
    """What a user gives to record an action (checked by ``check_new_action``)."""

    title: str
    kind: str
    start: date
    place: Place
    reference: str | None = None
    end: date | None = None
    categories: tuple[str, ...] = ()
    note: str | None = None
    control: Place | None = None


@dataclass(frozen=True)
class ActionRecord:
    id: int
    title: str
    reference: str | None
    kind: str
    start: date
    end: date | None
    place_kind: str
    place_buffer_m: float | None
    categories: tuple[str, ...]
    note: str | None
    commune_code: str | None
    commune_name: str | None
    created_at: datetime
    created_by: str | None
    has_control: bool
    area_m2: float
    geometry: dict[str, Any]
    control: dict[str, Any] | None = None

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def heading(self) -> str:
        """« Title (FA-2.3) »; « Title — fiche FA-2.3 (exemple) » when the reference holds
        parentheses of its own (never parentheses inside parentheses)."""
        ref = self.reference
        if not ref:
            return self.title
        return f"{self.title} — fiche {ref}" if "(" in ref else f"{self.title} ({ref})"

    def properties(self, labels: dict[str, str] | None = None) -> dict[str, Any]:
        """The action as plain JSON values (the GeoJSON feature's properties)."""
        labels = labels or {}
        return {
            "id": self.id,
            "title": self.title,
            "reference": self.reference,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "ongoing": self.end is None,
            "place_kind": self.place_kind,
            "place_buffer_m": self.place_buffer_m,
            "categories": list(self.categories),
            "category_labels": [labels.get(c, c) for c in self.categories],
            "note": self.note,
            "commune": self.commune_code,
            "commune_name": self.commune_name,
            "control_area": self.has_control,
            "control_geometry": self.control,
            "area_m2": round(self.area_m2, 1),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


def _text(value: str | None, name: str, required: bool = False) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise InvalidInput(f"« {name} » est obligatoire.")
        return None
    if "\x00" in cleaned:  # PostgreSQL's text holds no NUL byte (it was a 500)
        raise InvalidInput(f"« {name} » ne peut pas contenir le caractère nul (\\u0000).")
    if len(cleaned) > MAX_TEXT and name != "note":
        raise InvalidInput(f"« {name} » est trop long ({MAX_TEXT} caractères au plus).")
    return cleaned


def check_new_action(
    conn: Connection,
    *,
    title: str | None,
    kind: str | None,
    start: date | None,
    place: Place,
    reference: str | None = None,
    end: date | None = None,
    categories: list[str] | str | None = None,
    note: str | None = None,
    control: Any = None,
) -> NewAction:
    """Every field checked, categories resolved (a family stands for its categories)."""
    checked_title = _text(title, "title", required=True)
    assert checked_title is not None
    code = (kind or "").strip().lower()
    if code not in KINDS:
        raise InvalidInput(
            f"« kind » inconnu : « {kind} ». Valeurs possibles : {', '.join(KINDS)}."
        )
    if start is None:
        raise InvalidInput("« start » (date de début, AAAA-MM-JJ) est obligatoire.")
    for day, name in ((start, "start"), (end, "end")):
        # The evaluation reads months before and after, as days of the store (filters.py).
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise InvalidInput(
                f"« {name} » : date hors des années {FIRST_DAY.year} à {LAST_DAY.year} "
                f"(reçu {day.isoformat()})."
            )
    if end is not None and end < start:
        raise InvalidInput(
            f"La fin ({end.isoformat()}) est avant le début ({start.isoformat()}) de l'action."
        )
    families = {r.code: r.family for r in conn.execute(text("SELECT code, family FROM category"))}
    if isinstance(categories, str):
        categories = [categories]
    chosen = parse_categories(",".join(categories or []), families) if categories else None
    return NewAction(
        title=checked_title,
        kind=code,
        start=start,
        place=place,
        reference=_text(reference, "reference"),
        end=end,
        categories=tuple(sorted(chosen)) if chosen else (),
        note=_text(note, "note"),
        control=polygon_place(control, "zone témoin") if control is not None else None,
    )


def _values(action: NewAction) -> dict[str, Any]:
    return {
        "place": action.place.geojson,
        "buffer": action.place.buffer_m,
        "title": action.title,
        "reference": action.reference,
        "kind": action.kind,
        "start": action.start,
        "end": action.end,
        "place_kind": action.place.kind,
        "control": action.control.geojson if action.control else None,
        "categories": list(action.categories),
        "note": action.note,
    }


# The statements by place kind, built once from constants (no SQL from input).
INSERTS = {kind: INSERT.format(area=sql) for kind, sql in AREA_SQL.items()}
UPDATES = {kind: UPDATE.format(area=sql) for kind, sql in AREA_SQL.items()}


def create_action(conn: Connection, action: NewAction, created_by: str | None) -> int:
    """Record the action; the treated area and its commune are computed by PostGIS."""
    values = {**_values(action), "created_by": created_by}
    new_id = conn.execute(text(INSERTS[action.place.kind]), values).scalar_one()
    return int(new_id)


def update_action(conn: Connection, action_id: int, action: NewAction) -> None:
    """Replace every field of an action (its creation date and author are kept)."""
    values = {**_values(action), "id": action_id}
    found = conn.execute(text(UPDATES[action.place.kind]), values).scalar_one_or_none()
    if found is None:
        raise NotFound(f"Action {action_id} introuvable (voir la liste : GET /api/v1/actions).")


def _record(row: Any) -> ActionRecord:
    return ActionRecord(
        id=row.id,
        title=row.title,
        reference=row.reference,
        kind=row.kind,
        start=row.start_date,
        end=row.end_date,
        place_kind=row.place_kind,
        place_buffer_m=row.place_buffer_m,
        categories=tuple(row.categories or ()),
        note=row.note,
        commune_code=row.commune_code,
        commune_name=row.commune_name,
        created_at=row.created_at,
        created_by=row.created_by,
        has_control=bool(row.has_control),
        area_m2=float(row.area_m2),
        geometry=json.loads(row.geometry),
        control=json.loads(row.control) if row.control else None,
    )


# A scope (observatory/scopes.py) keeps the actions of its communes; NULL: every commune.
IN_SCOPE = " AND (CAST(:scope AS varchar(5)[]) IS NULL OR a.commune_code = ANY(:scope))"


def list_actions(
    conn: Connection, commune: str | None = None, scope: frozenset[str] | None = None
) -> list[ActionRecord]:
    """Every action (or a commune's) within the scope, the most recent start first."""
    where = " WHERE (CAST(:commune AS varchar(5)) IS NULL OR a.commune_code = :commune)"
    rows = conn.execute(
        text(COLUMNS + where + IN_SCOPE + " ORDER BY a.start_date DESC, a.id DESC"),
        {"commune": commune, "scope": _codes(scope)},
    )
    return [_record(r) for r in rows]


def get_action(
    conn: Connection, action_id: int, scope: frozenset[str] | None = None
) -> ActionRecord:
    """The action; NotFound when there is none, or when it lies outside the scope (an action
    of another commune is not there for this reader)."""
    row = conn.execute(
        text(COLUMNS + " WHERE a.id = :id" + IN_SCOPE), {"id": action_id, "scope": _codes(scope)}
    ).one_or_none()
    if row is None:
        raise NotFound(f"Action {action_id} introuvable (voir la liste : GET /api/v1/actions).")
    return _record(row)


def _codes(scope: frozenset[str] | None) -> list[str] | None:
    return None if scope is None else sorted(scope)


def category_labels(conn: Connection) -> dict[str, str]:
    return {r.code: r.label for r in conn.execute(text("SELECT code, label FROM category"))}
