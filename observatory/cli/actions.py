"""observatory actions …: the STSPD's actions (fiches action), recorded and evaluated."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from observatory.cli.common import echo_list, fail, friendly_errors, load_settings, session_scope

actions_app = typer.Typer(help="Actions du CLSPD (fiches action du STSPD) : saisie et évaluation.")

JsonOption = Annotated[bool, typer.Option("--json", help="Du JSON sur la sortie standard")]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(f"{option} attend une date AAAA-MM-JJ (reçu « {value} »).", code=2)


def _read_geojson(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{path} n'est pas un GeoJSON lisible : {exc}.")


@actions_app.command("add")
@friendly_errors
def add(
    title: Annotated[str, typer.Option("--title", help="Intitulé de l'action")],
    kind: Annotated[str, typer.Option("--kind", help="videoprotection, mediation, eclairage…")],
    start: Annotated[str, typer.Option("--start", help="Début, AAAA-MM-JJ")],
    ref: Annotated[str | None, typer.Option("--ref", help="Référence de la fiche action")] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Fin, AAAA-MM-JJ (vide : en cours)")
    ] = None,
    point: Annotated[
        str | None, typer.Option("--point", help="LONGITUDE,LATITUDE (WGS84), avec --radius")
    ] = None,
    radius: Annotated[float | None, typer.Option("--radius", help="Rayon en mètres")] = None,
    line_file: Annotated[
        Path | None,
        typer.Option(
            "--line-file", exists=True, dir_okay=False, help="Ligne GeoJSON, avec --buffer"
        ),
    ] = None,
    buffer: Annotated[
        float | None, typer.Option("--buffer", help="Tampon autour de la ligne, en mètres")
    ] = None,
    polygon_file: Annotated[
        Path | None,
        typer.Option("--polygon-file", exists=True, dir_okay=False, help="Polygone GeoJSON"),
    ] = None,
    control_file: Annotated[
        Path | None,
        typer.Option(
            "--control-file",
            exists=True,
            dir_okay=False,
            help="Zone témoin (polygone GeoJSON) ; sans elle : le reste de la commune",
        ),
    ] = None,
    categories: Annotated[
        str | None, typer.Option("--categories", help="Codes de catégories ou de familles : a,b")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Remarque libre")] = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistre une action : un lieu (point et rayon, ligne et tampon, ou polygone)."""
    from observatory.actions import line_place, point_place, polygon_place
    from observatory.actions.places import parse_lonlat
    from observatory.actions.records import check_new_action, create_action, get_action
    from observatory.cli.imports import run_by

    chosen = [
        name
        for name, v in (
            ("--point", point),
            ("--line-file", line_file),
            ("--polygon-file", polygon_file),
        )
        if v is not None
    ]
    if len(chosen) != 1:
        fail(
            "Donnez le lieu de l'action d'une seule façon : --point LON,LAT --radius M, "
            "--line-file FICHIER --buffer M, ou --polygon-file FICHIER.",
            code=2,
        )
    if point is not None:
        if radius is None:
            fail("--point demande --radius (en mètres).", code=2)
        lon, lat = parse_lonlat(point)
        place = point_place(lon, lat, radius)
    elif line_file is not None:
        if buffer is None:
            fail("--line-file demande --buffer (en mètres).", code=2)
        place = line_place(_read_geojson(line_file), buffer)
    else:
        assert polygon_file is not None
        place = polygon_place(_read_geojson(polygon_file))
    first, last = _day(start, "--start"), _day(end, "--end")
    control = _read_geojson(control_file) if control_file is not None else None
    codes = [c.strip() for c in (categories or "").split(",") if c.strip()]
    settings = load_settings()
    with session_scope(settings) as session:
        conn = session.connection()
        new = check_new_action(
            conn,
            title=title,
            kind=kind,
            start=first,
            end=last,
            place=place,
            reference=ref,
            categories=codes,
            note=note,
            control=control,
        )
        action = get_action(conn, create_action(conn, new, created_by=run_by()))
    if as_json:
        typer.echo(json.dumps(action.properties(), ensure_ascii=False))
        return
    where = f"commune {action.commune_code}" if action.commune_code else "hors des communes"
    typer.echo(
        f"Action {action.id} enregistrée : {action.title} ({action.kind_label}, "
        f"{_hectares(action.area_m2)} ha, {where})."
    )


def _hectares(area_m2: float) -> str:
    return f"{area_m2 / 10_000:.2f}".replace(".", ",")


@actions_app.command("list")
@friendly_errors
def list_command(
    commune: Annotated[str | None, typer.Option("--commune", help="Code INSEE")] = None,
    as_json: JsonOption = False,
) -> None:
    """Liste les actions enregistrées, la plus récente d'abord."""
    from observatory.actions import ActionRecord, list_actions
    from observatory.analytics.filters import parse_commune

    settings = load_settings()
    with session_scope(settings) as session:
        actions = list_actions(session.connection(), parse_commune(commune))

    def line(a: ActionRecord) -> str:
        period = (
            f"depuis le {a.start:%d/%m/%Y}"
            if a.end is None
            else (f"du {a.start:%d/%m/%Y} au {a.end:%d/%m/%Y}")
        )
        reference = f" [{a.reference}]" if a.reference else ""
        targets = ", ".join(a.categories) or "toutes catégories"
        return f"{a.id}\t{a.title}{reference}\t{a.kind_label}\t{period}\t{targets}"

    echo_list(actions, as_json, line, "Aucune action enregistrée.", lambda a: a.properties())


@actions_app.command("evaluate")
@friendly_errors
def evaluate(
    action_id: Annotated[int, typer.Argument(help="Numéro de l'action")],
    months: Annotated[int, typer.Option("--months", help="Durée de chaque période, en mois")] = 12,
    buffer: Annotated[
        float, typer.Option("--buffer", help="Largeur de l'anneau, en mètres")
    ] = 200.0,
    control: Annotated[
        str | None, typer.Option("--control", help="Zone témoin : code INSEE ou code de QPV")
    ] = None,
    after: Annotated[
        str | None, typer.Option("--after", help="start ou end : où commence la période après")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Évalue une action avant/après : zone traitée, anneau, zone témoin."""
    from observatory.actions import evaluate_action
    from observatory.db import make_engine
    from observatory.store.incidents import IncidentStore

    settings = load_settings()
    engine = make_engine(settings.sqlalchemy_url, pool_size=1)
    try:
        snapshot = IncidentStore(engine, settings.timezone).snapshot()
        with engine.connect() as conn:
            result = evaluate_action(conn, snapshot, action_id, months, buffer, control, after)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    a = result.action
    typer.echo(f"Action {a.id} : {a.title}")
    for line in result.reading():
        typer.echo(f"- {line}")
    for warning in result.warnings():
        if warning["code"] != "regression_to_mean":
            typer.echo(f"! {warning['message']}")
