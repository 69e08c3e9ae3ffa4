"""Import boundaries: QPV (2015 and 2024 generations) and communes, with their populations.

Files are read with pyogrio (GeoJSON, GeoPackage, Shapefile), reprojected to EPSG:4326, checked
field by field in Python, copied into a temporary staging table, then repaired and classified in
PostGIS: ST_MakeValid, polygonal part kept (ST_CollectionExtract(…, 3)), ST_Multi. One upsert
moves the accepted features, touching a row only when something changed. The CRS rule of
files that declare none is in ingest/boundaries/vectors.py.

Population: from the population file when one is given, else from a population property of the
feature. A feature with none gets NULL when new, and keeps its stored population when it
already exists (re-importing outlines does not erase known populations).

Accounting: every feature read ends imported (inserted or updated), duplicate (already stored
unchanged) or rejected into import_reject with its feature number (1-based) and a reason.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, text

from ingest.boundaries.populations import read_insee_populations, read_qpv_populations
from ingest.boundaries.vectors import read_boundaries
from ingest.values import INSEE_CODE, insee_code, integer_value, normalise_name, text_value
from observatory.errors import InvalidInput
from observatory.imports import (
    BatchSummary,
    batch_transaction,
    fail_batch,
    failure_message,
    finish_batch,
    open_batch,
    read_batch,
)

log = logging.getLogger(__name__)

GENERATIONS = (2015, 2024)
QPV_CODE_PATTERNS = {
    2015: re.compile(r"^QP\d{2}[0-9AB]\d{3}$"),  # QP031007, QP02A001
    2024: re.compile(r"^QN\d{2}[0-9AB]\d{2}[A-Z]$"),  # QN03107M, QN02A01M, QN97649N
}
DEPARTMENT_CODE = re.compile(r"^(\d{2}|2[AB]|9[78]\d)$")  # 98x: overseas collectivities

# Candidate property names, normalised (lower case, no accents, "_" for anything else).
QPV_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code_qp", "code_quartier", "cod_qp", "codeqp", "qp", "code"),
    "name": ("lib_qp", "nom_qp", "nom_quartier", "libelle_qp", "libelle", "nom", "name"),
    "communes": (
        "insee_com",
        "code_commune",
        "codes_communes",
        "code_insee",
        "insee_commune",
        "depcom",
        "codgeo",
    ),
    "department": ("insee_dep", "code_departement", "code_dep", "dep", "departement"),
    "population": ("pop_mun", "population", "pop", "pmun"),
}
COMMUNE_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code_commune", "insee_com", "code_insee", "codgeo", "depcom", "insee", "code"),
    "name": ("nom_commune", "lib_com", "libelle_commune", "nom_com", "libelle", "nom", "name"),
    "department": ("code_departement", "insee_dep", "code_dep", "dep", "departement"),
    "population": ("population", "pmun", "pop"),
}


STAGE_COLUMNS = (
    "feature_no, code, name, commune_codes, department, population, raw, reason, geom_in"
)

CREATE_STAGE = """
CREATE TEMP TABLE boundary_stage (
    feature_no integer PRIMARY KEY,
    code text,
    name text,
    commune_codes text[] NOT NULL DEFAULT '{}',
    department text,
    population integer,
    raw jsonb NOT NULL,
    reason text,
    geom_in geometry,
    geom geometry,
    was_invalid boolean NOT NULL DEFAULT false
) ON COMMIT DROP
"""

# Repair and classify the staged geometries, then write the rejected features.
REPAIR = (
    """
    UPDATE boundary_stage SET geom_in = ST_Force2D(ST_SetSRID(geom_in, 4326))
    WHERE geom_in IS NOT NULL
    """,
    """
    UPDATE boundary_stage
    SET was_invalid = NOT ST_IsValid(geom_in),
        geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom_in), 3))
    WHERE geom_in IS NOT NULL AND NOT ST_IsEmpty(geom_in) AND ST_Dimension(geom_in) = 2
    """,
    """
    UPDATE boundary_stage
    SET reason = concat_ws(' ; ', reason, CASE
        WHEN geom_in IS NULL THEN 'Géométrie absente : l''entité n''a pas de contour'
        WHEN ST_IsEmpty(geom_in) THEN 'Géométrie vide : l''entité n''a pas de contour'
        WHEN ST_Dimension(geom_in) < 2 THEN format(
            'Géométrie non surfacique (%s) : un contour doit être un polygone',
            GeometryType(geom_in))
        ELSE 'Géométrie dégénérée : le contour se réduit à un point ou à une ligne, sans '
             'surface, même après réparation'
    END)
    WHERE geom IS NULL OR ST_IsEmpty(geom)
    """,
    """
    UPDATE boundary_stage AS s
    SET reason = format('Code %s en double dans le fichier : déjà donné par l''entité n° %s',
                        d.code, d.first_no)
    FROM (
        SELECT feature_no, code, min(feature_no) OVER (PARTITION BY code) AS first_no
        FROM boundary_stage WHERE reason IS NULL
    ) AS d
    WHERE s.feature_no = d.feature_no AND d.feature_no > d.first_no
    """,
    """
    INSERT INTO import_reject (batch_id, row_number, raw, reason)
    SELECT :batch_id, feature_no, raw, reason FROM boundary_stage
    WHERE reason IS NOT NULL ORDER BY feature_no
    """,
)

UPSERT_QPV = """
INSERT INTO qpv AS t (code, name, generation, commune_codes, department, population, geom)
SELECT code, name, :generation, commune_codes::varchar(5)[], department, population, geom
FROM boundary_stage WHERE reason IS NULL
ON CONFLICT (code) DO UPDATE SET
    name = EXCLUDED.name,
    generation = EXCLUDED.generation,
    commune_codes = EXCLUDED.commune_codes,
    department = EXCLUDED.department,
    population = COALESCE(EXCLUDED.population, t.population),
    geom = EXCLUDED.geom
WHERE (t.name, t.generation, t.commune_codes, t.department, t.population, ST_AsEWKB(t.geom))
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.generation, EXCLUDED.commune_codes,
                      EXCLUDED.department, COALESCE(EXCLUDED.population, t.population),
                      ST_AsEWKB(EXCLUDED.geom))
RETURNING (xmax = 0) AS inserted
"""

UPSERT_COMMUNE = """
INSERT INTO commune AS t (code, name, department, population, geom)
SELECT code, name, department, population, geom
FROM boundary_stage WHERE reason IS NULL
ON CONFLICT (code) DO UPDATE SET
    name = EXCLUDED.name,
    department = EXCLUDED.department,
    population = COALESCE(EXCLUDED.population, t.population),
    geom = EXCLUDED.geom
WHERE (t.name, t.department, t.population, ST_AsEWKB(t.geom))
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.department,
                      COALESCE(EXCLUDED.population, t.population), ST_AsEWKB(EXCLUDED.geom))
RETURNING (xmax = 0) AS inserted
"""

STAGE_SUMMARY = """
SELECT count(*) FILTER (WHERE reason IS NOT NULL) AS rejected,
       count(*) FILTER (WHERE reason IS NULL) AS accepted,
       count(*) FILTER (WHERE reason IS NULL AND was_invalid) AS repaired,
       count(*) FILTER (WHERE reason IS NULL AND population IS NOT NULL) AS with_population
FROM boundary_stage
"""


@dataclass
class _Prepared:
    """What the data transaction needs: staged rows and how to upsert them."""

    rows: list[tuple[Any, ...]]
    lock_name: str
    label: str
    upsert: str
    params: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


# -- public entry points ----------------------------------------------------------------------


def import_qpv(
    engine: Engine,
    path: Path,
    *,
    generation: int | None = None,
    population: Path | None = None,
    run_by: str = "cli",
) -> BatchSummary:
    """Import a QPV boundary file (2015 or 2024 generation) as one batch."""
    if generation is not None and generation not in GENERATIONS:
        raise InvalidInput(f"Génération de QPV inconnue : {generation} (attendu 2015 ou 2024).")

    def prepare() -> _Prepared:
        frame = read_boundaries(Path(path))
        populations = read_qpv_populations(Path(population)) if population else {}
        rows, found = _qpv_rows(frame, populations)
        chosen = _resolve_generation(generation, found)
        return _Prepared(
            rows=rows,
            lock_name=f"qpv:{chosen}",
            label=f"de QPV {chosen}",
            upsert=UPSERT_QPV,
            params={"generation": chosen},
            details={"generation": chosen},
        )

    return _run(engine, Path(path), "qpv", run_by, prepare, population)


def import_communes(
    engine: Engine, path: Path, *, population: Path | None = None, run_by: str = "cli"
) -> BatchSummary:
    """Import a commune boundary file, with INSEE legal populations if given, as one batch."""

    def prepare() -> _Prepared:
        frame = read_boundaries(Path(path))
        populations = read_insee_populations(Path(population)) if population else {}
        return _Prepared(
            rows=_commune_rows(frame, populations),
            lock_name="communes",
            label="de communes",
            upsert=UPSERT_COMMUNE,
        )

    return _run(engine, Path(path), "communes", run_by, prepare, population)


# -- batch life -------------------------------------------------------------------------------


def _run(
    engine: Engine,
    path: Path,
    kind: str,
    run_by: str,
    prepare: Callable[[], _Prepared],
    population: Path | None,
) -> BatchSummary:
    batch_id = open_batch(engine, path, kind=kind, run_by=run_by)
    try:
        prepared = prepare()
    except BaseException as exc:
        fail_batch(engine, batch_id, failure_message(exc))
        raise
    busy = f"Un import {prepared.label} est déjà en cours : attendez sa fin puis relancez celui-ci."
    with batch_transaction(engine, batch_id, prepared.lock_name, busy) as conn:
        counts, details = _load(conn, batch_id, prepared)
        if population is not None:
            details["population_file"] = Path(population).name
        finish_batch(conn, batch_id, counts, details=details)
    return read_batch(engine, batch_id)


def _load(
    conn: Connection, batch_id: int, prepared: _Prepared
) -> tuple[dict[str, int], dict[str, Any]]:
    """Stage, repair, reject and upsert; return the batch counts and details."""
    conn.execute(text(CREATE_STAGE))
    _copy_rows(conn, prepared.rows)
    for statement in REPAIR:
        conn.execute(text(statement), {"batch_id": batch_id})
    summary = conn.execute(text(STAGE_SUMMARY)).one()
    returned = conn.execute(text(prepared.upsert), prepared.params).scalars().all()
    inserted = sum(1 for flag in returned if flag)
    counts = {
        "rows_read": len(prepared.rows),
        "rows_imported": len(returned),
        "rows_duplicate": summary.accepted - len(returned),
        "rows_rejected": summary.rejected,
    }
    details = {
        **prepared.details,
        "inserted": inserted,
        "updated": len(returned) - inserted,
        "repaired": summary.repaired,
        "with_population": summary.with_population,
    }
    log.info("Lot %s : %s, détails %s", batch_id, counts, details)
    return counts, details


def _copy_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    statement = f"COPY boundary_stage ({STAGE_COLUMNS}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


# -- features to staged rows ------------------------------------------------------------------


def _qpv_rows(
    frame: gpd.GeoDataFrame, populations: Mapping[str, int]
) -> tuple[list[tuple[Any, ...]], set[int]]:
    """Staged rows for QPV features, and the generations their codes belong to."""
    fields = _resolve_fields(frame, QPV_FIELDS, "du quartier")
    found: set[int] = set()
    rows = []
    for number, props, geom in _features(frame):
        reasons = []
        code = (text_value(_field(props, fields["code"])) or "").upper()
        generation = next((g for g, p in QPV_CODE_PATTERNS.items() if p.match(code)), None)
        if not code:
            reasons.append("Code du quartier manquant")
        elif generation is None:
            reasons.append(
                f"Code de quartier « {code} » non reconnu : attendu QP suivi de 6 caractères "
                "(génération 2015, ex. QP031007) ou QN suivi de 6 caractères (2024, ex. QN03107M)"
            )
        else:
            found.add(generation)
        name = text_value(_field(props, fields["name"]))
        if not name:
            reasons.append("Nom du quartier manquant")
        communes, bad = _commune_codes(_field(props, fields["communes"]))
        if bad:
            reasons.append(f"Code commune invalide : {', '.join(bad)} (attendu 5 caractères)")
        department = _department(_field(props, fields["department"]), communes[:1], reasons)
        pop = populations.get(code)
        if pop is None:
            pop = integer_value(_field(props, fields["population"]))
        rows.append(
            _stage_row(number, code or None, name, communes, department, pop, props, reasons, geom)
        )
    return rows, found


def _commune_rows(frame: gpd.GeoDataFrame, populations: Mapping[str, int]) -> list[tuple[Any, ...]]:
    fields = _resolve_fields(frame, COMMUNE_FIELDS, "de la commune")
    rows = []
    for number, props, geom in _features(frame):
        reasons = []
        code = insee_code(_field(props, fields["code"]))
        if not code:
            reasons.append("Code INSEE de la commune manquant")
        elif not INSEE_CODE.match(code):
            reasons.append(f"Code INSEE « {code} » invalide : attendu 5 caractères (ex. 31555)")
        name = text_value(_field(props, fields["name"]))
        if not name:
            reasons.append("Nom de la commune manquant")
        valid = [code] if code and INSEE_CODE.match(code) else []
        department = _department(_field(props, fields["department"]), valid, reasons)
        pop = populations.get(code or "")
        if pop is None:
            pop = integer_value(_field(props, fields["population"]))
        rows.append(
            _stage_row(number, code or None, name, [], department, pop, props, reasons, geom)
        )
    return rows


def _stage_row(
    number: int,
    code: str | None,
    name: str | None,
    communes: list[str],
    department: str | None,
    population: int | None,
    props: dict[str, Any],
    reasons: list[str],
    geom: str | None,
) -> tuple[Any, ...]:
    raw = json.dumps({k: text_value(v) or "" for k, v in props.items()}, ensure_ascii=False)
    reason = " ; ".join(reasons) or None
    return (number, code, name, communes, department, population, raw, reason, geom)


def _features(frame: gpd.GeoDataFrame) -> Iterable[tuple[int, dict[str, Any], str | None]]:
    """(1-based feature number, properties, hex WKB or None) for each feature."""
    hexes = shapely.to_wkb(np.asarray(frame.geometry.array), hex=True).tolist()
    props = pd.DataFrame(frame.drop(columns=frame.geometry.name)).to_dict("records")
    for number, (record, geom) in enumerate(zip(props, hexes, strict=True), start=1):
        yield number, {str(k): v for k, v in record.items()}, geom


def _resolve_fields(
    frame: gpd.GeoDataFrame, candidates: dict[str, tuple[str, ...]], what: str
) -> dict[str, str | None]:
    """Map each role (code, name, ...) to the file's property name, or None when absent."""
    names = {normalise_name(str(c)): str(c) for c in frame.columns if c != frame.geometry.name}
    # A Shapefile's field names are cut to 10 characters (code_commune -> code_commu).
    fields = {
        role: next((names[n] for c in options for n in (c, c[:10]) if n in names), None)
        for role, options in candidates.items()
    }
    for role, label in (("code", "code"), ("name", "nom")):
        if fields[role] is None:
            raise InvalidInput(
                f"Colonne du {label} {what} introuvable : attendu l'une de "
                f"{', '.join(candidates[role])} ; colonnes du fichier : "
                f"{', '.join(names.values()) or 'aucune'}."
            )
    return fields


def _field(props: dict[str, Any], name: str | None) -> Any:
    return props.get(name) if name else None


def _resolve_generation(given: int | None, found: set[int]) -> int:
    if given is not None:
        other = found - {given}
        if other:
            raise InvalidInput(
                f"Le fichier contient des codes de QPV de la génération {min(other)} alors que "
                f"la génération {given} est demandée : vérifiez le fichier ou --generation."
            )
        return given
    if len(found) > 1:
        raise InvalidInput(
            "Le fichier mêle des codes de QPV des générations 2015 (QP…) et 2024 (QN…) : "
            "importez chaque génération depuis son propre fichier."
        )
    if not found:
        raise InvalidInput(
            "Impossible de déterminer la génération des QPV : aucun code QP… (2015) ou QN… "
            "(2024) reconnu. Précisez --generation 2015 ou 2024."
        )
    return found.pop()


# -- values -----------------------------------------------------------------------------------


def _commune_codes(value: Any) -> tuple[list[str], list[str]]:
    """Valid commune codes of a property ("31555, 31069", a list, ...) and the invalid ones."""
    items = value.tolist() if isinstance(value, np.ndarray) else value
    if not isinstance(items, list | tuple):
        items = re.split(r"[^0-9A-Za-z]+", text_value(items) or "")  # also '["31555", "31069"]'
    codes: list[str] = []
    bad: list[str] = []
    for item in items:
        code = insee_code(item)
        if code:
            (codes if INSEE_CODE.match(code) else bad).append(code)
    return list(dict.fromkeys(codes)), bad


def _department(value: Any, communes: list[str], reasons: list[str]) -> str | None:
    """The département code from its property, else from the first commune code."""
    department = (text_value(value) or "").upper()
    if department.isdigit() and len(department) == 1:
        department = "0" + department
    if not department and communes:
        department = communes[0][:3] if communes[0][:2] in ("97", "98") else communes[0][:2]
    if department and not DEPARTMENT_CODE.match(department):
        reasons.append(f"Département « {department} » invalide (attendu 01…95, 2A, 2B, 97x ou 98x)")
        return None
    return department or None
