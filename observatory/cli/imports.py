"""observatory import … / imports … / demo: loading files and following the batches."""

from __future__ import annotations

import getpass
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer
from sqlalchemy import Engine

from observatory.cli import dropfolder
from observatory.cli.common import echo_list, fail, friendly_errors, load_settings
from observatory.errors import InvalidInput
from observatory.imports import BatchSummary
from observatory.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from ingest.incidents.rerun import RerunKind

import_app = typer.Typer(help="Importe un fichier (incidents, QPV, communes, état 4001).")
imports_app = typer.Typer(help="Suivi des imports : lots, comptes et lignes rejetées.")

log = logging.getLogger("observatory.import")

SAMPLES = PROJECT_ROOT / "data" / "samples"

STATUS_FR = {"running": "en cours", "succeeded": "réussi", "failed": "échoué"}

JsonOption = Annotated[bool, typer.Option("--json", help="Un objet JSON sur la sortie standard")]
PathArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Fichier à importer")
]


@contextmanager
def engine_scope() -> Iterator[Engine]:
    from observatory.db import make_engine

    settings = load_settings()
    engine = make_engine(settings.sqlalchemy_url, pool_size=2)
    try:
        yield engine
    finally:
        engine.dispose()


def run_by() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def describe(summary: BatchSummary) -> str:
    status = STATUS_FR.get(summary.status, summary.status)
    text = (
        f"Lot {summary.batch_id} ({summary.kind}, {summary.file_name}) : {status} — "
        f"{summary.rows_read} lues, {summary.rows_imported} importées, "
        f"{summary.rows_duplicate} doublons, {summary.rows_rejected} rejetées"
    )
    if summary.message:
        text += f"\n{summary.message}"
    return text


def report(summary: BatchSummary, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary.contract(), ensure_ascii=False))
    else:
        typer.echo(describe(summary))
        if summary.rows_rejected:
            typer.echo(f"Détail des rejets : observatory imports show {summary.batch_id}", err=True)


def report_run(summary: BatchSummary, as_json: bool) -> None:
    """The batch of a run that printed its progress (progress_printer): after that line."""
    if sys.stderr.isatty() and not as_json:
        sys.stderr.write("\n")
    report(summary, as_json)


def progress_printer() -> Callable[[int], None]:
    """Rows done so far: a line rewritten in place on a terminal, log lines otherwise."""
    done = 0
    on_terminal = sys.stderr.isatty()

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        if on_terminal:
            sys.stderr.write(f"\r{done:>12,} lignes traitées…".replace(",", " "))
            sys.stderr.flush()
        else:
            log.info("%s lignes traitées", done)

    return advance


MAPPING_HELP = (
    "Fichier de correspondance TOML, ou nom d'une correspondance enregistrée ou d'un profil "
    "livré (un fichier existant à ce chemin l'emporte)"
)


@import_app.command("incidents")
@friendly_errors
def import_incidents_command(
    path: Annotated[
        Path,
        typer.Argument(exists=True, readable=True, help="Fichier à importer, ou dossier de dépôt"),
    ],
    profile: Annotated[str | None, typer.Option(help="Profil livré : municipal, police-uk")] = None,
    mapping: Annotated[str | None, typer.Option(help=MAPPING_HELP)] = None,
    source: Annotated[
        str | None, typer.Option(help="Nom de la source (doublons par source)")
    ] = None,
    crs: Annotated[int | None, typer.Option(help="EPSG des colonnes X/Y, ex. 2154")] = None,
    as_json: JsonOption = False,
    log_file: dropfolder.LogFileOption = None,
    done_dir: dropfolder.DoneDirOption = None,
    settle: dropfolder.SettleOption = dropfolder.DEFAULT_SETTLE,
) -> None:
    """Importe des incidents (CSV, XLSX, GeoJSON, GeoPackage, Shapefile zippé) : un fichier,
    ou tous les nouveaux fichiers d'un dossier de dépôt.

    --mapping prend un fichier TOML, le nom d'une correspondance enregistrée (par l'assistant
    de la page Imports) ou celui d'un profil livré : un fichier existant à ce chemin est lu,
    sinon le nom est cherché parmi les correspondances enregistrées, puis parmi les profils.
    """
    from ingest.incidents import import_incidents

    settings = load_settings()
    with engine_scope() as engine:
        chosen, name = choose_mapping(engine, profile, mapping, crs)
    if path.is_dir():
        from ingest.incidents.dropfolder import incidents_folder

        dropfolder.run_folder(
            path,
            lambda: incidents_folder(settings, chosen, source, mapping_name=name),
            as_json=as_json,
            log_file=log_file,
            done_dir=done_dir,
            settle=settle,
        )
        return
    with dropfolder.logging_to(log_file, "ingest.incidents"), engine_scope() as engine:
        summary = import_incidents(
            engine,
            path,
            settings=settings,
            mapping=chosen,
            source=source,
            run_by=run_by(),
            progress=None if as_json else progress_printer(),
            mapping_name=name,
        )
    report_run(summary, as_json)


def choose_mapping(
    engine: Engine, profile: str | None, mapping: str | None, crs: int | None
) -> tuple[Any, str | None]:
    """The mapping of --profile / --mapping (a file or a saved name), and the saved name."""
    from ingest.incidents import resolve_mapping
    from ingest.incidents.saved import mapping_argument

    if mapping is None:
        return resolve_mapping(profile, None, crs), None
    if profile:
        raise InvalidInput("Choisissez --profile ou --mapping, pas les deux.")
    with engine.connect() as conn:
        chosen, name = mapping_argument(mapping, conn)
    if crs is not None:
        chosen.crs = crs
    return chosen, name


@import_app.command("qpv")
@friendly_errors
def import_qpv_command(
    path: PathArgument,
    generation: Annotated[
        int | None, typer.Option(help="2015 ou 2024 (déduite des codes sinon)")
    ] = None,
    population: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="CSV INSEE des QPV (pop_mun)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Importe les contours des quartiers prioritaires (QPV) d'une génération."""
    if generation not in (None, 2015, 2024):
        fail("--generation vaut 2015 ou 2024.", code=2)
    from ingest.boundaries import import_qpv

    with engine_scope() as engine:
        summary = import_qpv(
            engine, path, generation=generation, population=population, run_by=run_by()
        )
    report(summary, as_json)


@import_app.command("communes")
@friendly_errors
def import_communes_command(
    path: PathArgument,
    population: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="CSV INSEE des populations légales"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Importe les contours des communes (et leur population INSEE)."""
    from ingest.boundaries import import_communes

    with engine_scope() as engine:
        summary = import_communes(engine, path, population=population, run_by=run_by())
    report(summary, as_json)


@imports_app.command("list")
@friendly_errors
def imports_list(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Nombre de lots")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Liste les derniers lots d'import."""
    from observatory.imports import list_batches, reap_interrupted

    with engine_scope() as engine:
        reap_interrupted(engine)
        with engine.connect() as conn:
            batches = list_batches(conn, limit=limit)
    echo_list(
        batches,
        as_json,
        lambda batch: f"{batch.started_at:%Y-%m-%d %H:%M}  {describe(batch)}",
        "Aucun import.",
        lambda batch: batch.as_dict(),
    )


@imports_app.command("show")
@friendly_errors
def imports_show(
    batch_id: Annotated[int, typer.Argument(help="Numéro du lot")],
    rejects: Annotated[int, typer.Option(min=0, help="Nombre de rejets à montrer")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Montre un lot : ses comptes et ses premières lignes rejetées."""
    from observatory.imports import get_batch, list_rejects, reap_interrupted

    with engine_scope() as engine:
        reap_interrupted(engine)
        with engine.connect() as conn:
            batch = get_batch(conn, batch_id)
            total, page = list_rejects(conn, batch_id, limit=rejects)
    if as_json:
        body: dict[str, Any] = batch.as_dict()
        body["rejects"] = page
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    typer.echo(describe(batch))
    if total:
        typer.echo(f"Lignes rejetées ({total}) :")
        for reject in page:
            rerun = reject.get("rerun_batch_id")
            again = f" (relancée dans le lot {rerun})" if rerun else ""
            typer.echo(f"  ligne {reject['row_number']} : {reject['reason']}{again}")
        if total > len(page):
            typer.echo(f"  … et {total - len(page)} autres (--rejects N pour en voir plus)")


@imports_app.command("regeocode")
@friendly_errors
def imports_regeocode(
    batch_id: Annotated[int, typer.Argument(help="Numéro du lot dont relancer les rejets")],
    profile: Annotated[
        str | None, typer.Option(help="Profil de l'import d'origine (municipal par défaut)")
    ] = None,
    mapping: Annotated[
        str | None,
        typer.Option(help="Correspondance de l'import d'origine (TOML, enregistrée, profil)"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Regéocode les rejets « non géolocalisé » et « adresse introuvable » d'un lot.

    Les lignes sont importées en un nouveau lot, qui nomme le premier ; les rejets relancés
    sont marqués dans le premier lot, dont les comptes ne changent pas.
    """
    from ingest.incidents.regeocode import REGEOCODE

    rerun_rejects(REGEOCODE, batch_id, profile, mapping, as_json)


@imports_app.command("remap")
@friendly_errors
def imports_remap(
    batch_id: Annotated[int, typer.Argument(help="Numéro du lot dont relancer les rejets")],
    mapping: Annotated[str, typer.Option(help=MAPPING_HELP)],
    as_json: JsonOption = False,
) -> None:
    """Relance les rejets « catégorie inconnue » d'un lot avec une correspondance.

    Les lignes sont importées en un nouveau lot, qui nomme le premier ; les rejets relancés
    sont marqués dans le premier lot, dont les comptes ne changent pas.
    """
    from ingest.incidents.remap import REMAP

    rerun_rejects(REMAP, batch_id, None, mapping, as_json)


def rerun_rejects(
    kind: RerunKind, batch_id: int, profile: str | None, mapping: str | None, as_json: bool
) -> None:
    """The rejects of ``kind`` of a batch imported again as a new batch, and the new batch."""
    from ingest.incidents.rerun import rerun_batch

    settings = load_settings()
    with engine_scope() as engine:
        chosen, name = choose_mapping(engine, profile, mapping, None)
        summary = rerun_batch(
            engine,
            batch_id,
            kind,
            settings=settings,
            mapping=chosen,
            mapping_name=name,
            run_by=run_by(),
            progress=None if as_json else progress_printer(),
        )
    report_run(summary, as_json)
    if not as_json:
        typer.echo(f"Rejets du lot {batch_id} relancés dans le lot {summary.batch_id}.")


def register_demo(app: typer.Typer) -> None:
    @app.command("demo")
    @friendly_errors
    def demo() -> None:
        """Charge les exemples de data/samples (Toulouse) : communes, QPV, incidents, état 4001."""
        from ingest.boundaries import import_communes, import_qpv
        from ingest.etat4001 import import_etat4001
        from ingest.incidents import import_incidents
        from observatory.accounts.demo import demo_accounts_text
        from observatory.imports import file_sha256, find_succeeded

        settings = load_settings()
        with engine_scope() as engine:
            steps: list[tuple[str, Path, Callable[[], BatchSummary]]] = [
                (
                    "communes",
                    SAMPLES / "communes_toulouse.geojson",
                    lambda: import_communes(
                        engine,
                        SAMPLES / "communes_toulouse.geojson",
                        population=SAMPLES / "populations_haute_garonne.csv",
                        run_by="demo",
                    ),
                ),
                (
                    "qpv",
                    SAMPLES / "qpv2015_toulouse.geojson",
                    lambda: import_qpv(
                        engine,
                        SAMPLES / "qpv2015_toulouse.geojson",
                        generation=2015,
                        population=SAMPLES / "qpv2015_toulouse_insee.csv",
                        run_by="demo",
                    ),
                ),
                (
                    "qpv",
                    SAMPLES / "qpv2024_toulouse.geojson",
                    lambda: import_qpv(
                        engine, SAMPLES / "qpv2024_toulouse.geojson", generation=2024, run_by="demo"
                    ),
                ),
                (
                    "incidents",
                    SAMPLES / "incidents_toulouse.csv",
                    lambda: import_incidents(
                        engine, SAMPLES / "incidents_toulouse.csv", settings=settings, run_by="demo"
                    ),
                ),
            ]
            for name in ETAT4001_SAMPLES:
                steps.append(
                    (
                        "etat4001",
                        SAMPLES / name,
                        partial(import_etat4001, engine, SAMPLES / name, run_by="demo"),
                    )
                )
            for kind, path, step in steps:
                done = find_succeeded(engine, kind, file_sha256(path))
                if done is not None:
                    typer.echo(f"{path.name} : déjà chargé (lot {done}).")
                    continue
                typer.echo(describe(step()))
            typer.echo(_demo_services(engine))
            typer.echo(_demo_actions(engine))
            if settings.environment == "development":  # accounts with printed passwords
                typer.echo(demo_accounts_text(engine))


ETAT4001_SAMPLES = (
    "etat4001_haute_garonne.xlsx",
    "etat4001_csp_toulouse_2024.xlsx",
    "etat4001_tidy.csv",
)


class DemoAction(NamedTuple):
    title: str
    reference: str
    kind: str
    start: date
    lon: float
    lat: float
    radius: float
    categories: list[str]


# Two fiches action of a made-up STSPD over the sample's two years, to show the evaluation.
DEMO_ACTIONS = (
    DemoAction(
        "Vidéoprotection place du Capitole",
        "FA-2.3 (exemple)",
        "videoprotection",
        date(2025, 1, 1),
        1.4442,
        43.6045,
        200,
        ["vol_dans_vehicule", "degradation_vehicule"],
    ),
    DemoAction(
        "Médiation de nuit, Arnaud-Bernard",
        "FA-4.1 (exemple)",
        "mediation",
        date(2025, 1, 1),
        1.4395,
        43.6100,
        250,
        ["tapage", "ivresse_publique"],
    ),
)


def _demo_actions(engine: Engine) -> str:
    """Record the demo's actions once (by title)."""
    from observatory.actions.places import point_place
    from observatory.actions.records import check_new_action, create_action, list_actions

    added = 0
    with engine.begin() as conn:
        known = {a.title for a in list_actions(conn)}
        for demo in DEMO_ACTIONS:
            if demo.title in known:
                continue
            action = check_new_action(
                conn,
                title=demo.title,
                kind=demo.kind,
                start=demo.start,
                place=point_place(demo.lon, demo.lat, demo.radius),
                reference=demo.reference,
                categories=demo.categories,
                note="Action fictive des données d'exemple.",
            )
            create_action(conn, action, created_by="demo")
            added += 1
    return f"Actions d'exemple du CLSPD : {added} ajoutée(s), {len(DEMO_ACTIONS) - added} déjà là."


def _demo_services(engine: Engine) -> str:
    """Map the Toulouse police services of the samples to the commune (idempotent)."""
    from ingest.etat4001.service_mapping import read_service_mapping
    from observatory.etat4001.services import load_mappings

    path = SAMPLES / "etat4001_services_toulouse.csv"
    mappings = read_service_mapping(path)
    with engine.begin() as conn:
        load_mappings(conn, mappings)
    return f"{path.name} : {len(mappings)} services rattachés à leurs communes."
