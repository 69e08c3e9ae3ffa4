"""File exports: individual incidents (police, admin; every export audited) and hexagon counts.

``/exports/incidents.{csv,geojson,gpkg}`` takes the common filters. The count and the rows
come from one REPEATABLE READ snapshot, so the audit row (who, the filter, how many facts the
file holds; observatory/audit.py) gives the file's exact count; it is committed before the
first byte leaves, so an export cut short is still in the log. CSV and GeoJSON are streamed by
ranges of ids; the GeoPackage (SQLite needs a file) is written to a temporary folder, sent,
then deleted.

``/exports/hexagons.{csv,geojson,gpkg}?res=`` gives the counts of /layers/hexagons (the same
engine function on the same in-memory snapshot), partners' small counts hidden the same way.
Aggregates: logged, not audited. observatory/exports.py says what each format holds.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy import Connection, Engine
from starlette.background import BackgroundTask

from api.datadeps import AuditNarrow, FilterDep, MapRequestDep, describe_filter
from api.deps import Caller, SessionDep, SettingsDep, require_role
from api.responses import GeoJSONResponse
from api.schemas.exports import HexagonExport, IncidentExport
from observatory import exports, geojson
from observatory.audit import record
from observatory.errors import InvalidInput

log = logging.getLogger(__name__)

router = APIRouter(prefix="/exports", tags=["exports"])

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "geojson": geojson.MEDIA_TYPE,
    "gpkg": "application/geopackage+sqlite3",
}
# The GeoJSON file's schema is the route's model; the other files are documented by type.
OTHER_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for kind, media in MEDIA_TYPES.items() if kind != "geojson"}}
}
FORMAT = Annotated[str, PathParam(description="csv, geojson ou gpkg")]
FORMAT_HELP = (
    "CSV pour Excel (UTF-8 avec BOM, séparateur « ; », cellules pouvant passer pour des formules "
    "neutralisées par une apostrophe), GeoJSON (RFC 7946) ou GeoPackage, qui s'ouvrent dans QGIS."
)

PointReader = Annotated[Caller, Depends(require_role("admin", "police"))]


def _format(fmt: str) -> str:
    if fmt not in MEDIA_TYPES:
        raise InvalidInput(f"Format d'export inconnu « {fmt} » : csv, geojson ou gpkg.")
    return fmt


@router.get(
    "/incidents.{fmt}",
    summary="Les faits du filtre dans un fichier (police et administrateur ; export tracé)",
    description=(
        "Un fait par ligne : id, occurred_start et occurred_end (heure locale ISO 8601 avec "
        "décalage), category et category_label, commune et commune_name, qpv_2015, qpv_2024, "
        "source, source_ref, lon et lat (WGS84), et pour un fait placé par le géocodeur "
        "geocode_score, geocode_label et geocode_type (vides pour les coordonnées du fichier). "
        + FORMAT_HELP
        + " Chaque export est inscrit au journal d'audit avec le nombre de faits."
    ),
    response_class=GeoJSONResponse,
    response_model=IncidentExport,
    responses=OTHER_FORMATS,
)
def export_incidents(
    caller: PointReader,
    f: FilterDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    fmt: FORMAT,
) -> Response:
    kind = _format(fmt)
    engine: Engine = request.app.state.engine
    where = exports.incident_filter(f, settings.timezone)
    name = exports.file_name(
        "faits", f.date_from, f.date_to, datetime.now(settings.zone).date(), kind
    )
    conn = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    try:
        exports.start_reading(conn, settings.timezone)
        total = exports.count_incidents(conn, where)
        record(
            session,
            **caller.audit(),
            action=f"exports/incidents.{kind}",
            filters={**describe_filter(f), "format": kind},
            row_count=total,
        )
        # Committed now, not when the response ends: the export is in the log before its first
        # byte leaves, and the request's session (the token's row) is not held while streaming.
        session.commit()
        log.info("Export de %s faits (%s) par %s", total, kind, caller.name)
        if kind == "gpkg":
            return _geopackage(
                name,
                lambda path: exports.write_incident_geopackage(conn, where, path),
                after=conn.close,
            )
        chunks = (exports.incident_csv if kind == "csv" else exports.incident_geojson)(conn, where)
    except BaseException:
        conn.close()
        raise
    return StreamingResponse(
        _closing(chunks, conn),
        media_type=MEDIA_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _closing(chunks: Iterator[bytes], conn: Connection) -> Iterator[bytes]:
    """The chunks, then the snapshot's connection closed (its transaction rolled back)."""
    try:
        yield from chunks
    finally:
        conn.close()


@router.get(
    "/hexagons.{fmt}",
    summary="Nombre de faits par hexagone H3, dans un fichier",
    description=(
        "Les comptes de /layers/hexagons pour le même filtre et la même résolution : h3, count "
        "(vide ou null quand il est masqué pour un partenaire), suppressed ; le contour de "
        "chaque hexagone (colonne wkt en CSV). " + FORMAT_HELP
    ),
    response_class=GeoJSONResponse,
    response_model=HexagonExport,
    responses=OTHER_FORMATS,
    dependencies=[AuditNarrow],
)
def export_hexagons(
    ask: MapRequestDep,
    settings: SettingsDep,
    fmt: FORMAT,
    res: Annotated[int, Query(ge=6, le=11, description="Résolution H3, de 6 à 11")] = 9,
) -> Response:
    kind = _format(fmt)
    layer = ask.hexagons(res)
    f, table = layer.query.filter, layer.table
    name = exports.file_name(
        f"hexagones_r{table.resolution}",
        f.date_from,
        f.date_to,
        datetime.now(settings.zone).date(),
        kind,
    )
    log.info(
        "Export de %s hexagones (%s, r%s) par %s",
        len(table.cells),
        kind,
        table.resolution,
        ask.caller.name,
    )
    if kind == "gpkg":
        return _geopackage(name, lambda path: exports.write_hexagon_geopackage(table, path))
    if kind == "csv":
        body = exports.hexagon_csv(table)
    else:
        body = exports.hexagon_geojson(table, layer.metadata)
    return Response(
        body,
        media_type=MEDIA_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _geopackage(
    name: str, write: Callable[[Path], None], after: Callable[[], None] | None = None
) -> FileResponse:
    """Write the GeoPackage in a temporary folder, send it, then delete the folder."""
    folder = tempfile.mkdtemp(prefix="observatoire-export-")
    try:
        path = Path(folder) / name
        write(path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        if after is not None:
            after()
    return FileResponse(
        path,
        media_type=MEDIA_TYPES["gpkg"],
        filename=name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
