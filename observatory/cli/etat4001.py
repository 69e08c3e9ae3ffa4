"""observatory import etat4001 … and observatory etat4001 services …

``import etat4001 FILE`` imports one file like the other importers (batch line, or --json with
the contract keys; exit 1 when refused). ``import etat4001 DIR`` is the scheduled job: every
new file of the drop folder, one French summary line on standard output, refusals on standard
error, log lines appended to the log file. Exit codes of a folder run: 0 done (also when there
was nothing new, or when another run held the folder's lock: it then does nothing and says
so), 1 at least one file refused or failed, 2 usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from observatory.cli import dropfolder
from observatory.cli.common import echo_list, fail, friendly_errors
from observatory.cli.imports import JsonOption, engine_scope, progress_printer, report, run_by

if TYPE_CHECKING:
    from ingest.dropfolder import FolderImporter

etat4001_app = typer.Typer(help="État 4001 : services et communes qu'ils couvrent.")
services_app = typer.Typer(help="Les services (CSP, brigades) et les communes qu'ils couvrent.")
etat4001_app.add_typer(services_app, name="services")

DepartmentOption = Annotated[str, typer.Option("--department", "-d", help="Département, ex. 31")]
PerimeterOption = Annotated[
    str | None, typer.Option("--perimeter", "-p", help="PN (police) ou GN (gendarmerie)")
]


def register_import(import_app: typer.Typer) -> None:
    @import_app.command("etat4001")
    @friendly_errors
    def import_etat4001_command(
        path: Annotated[
            Path,
            typer.Argument(
                exists=True,
                file_okay=True,
                dir_okay=True,
                readable=True,
                help="Fichier (.xlsx, .csv) ou dossier de dépôt",
            ),
        ],
        as_json: JsonOption = False,
        log_file: dropfolder.LogFileOption = None,
        done_dir: dropfolder.DoneDirOption = None,
        settle: dropfolder.SettleOption = dropfolder.DEFAULT_SETTLE,
    ) -> None:
        """Importe l'état 4001 : un fichier, ou tous les nouveaux fichiers d'un dossier."""
        if path.is_dir():
            dropfolder.run_folder(
                path, _folder, as_json=as_json, log_file=log_file, done_dir=done_dir, settle=settle
            )
        else:
            _import_file(path, as_json, log_file)


def _import_file(path: Path, as_json: bool, log_file: Path | None) -> None:
    from ingest.etat4001 import import_etat4001

    with dropfolder.logging_to(log_file, "ingest.etat4001"), engine_scope() as engine:
        summary = import_etat4001(
            engine, path, run_by=run_by(), progress=None if as_json else progress_printer()
        )
    if sys.stderr.isatty() and not as_json:
        sys.stderr.write("\n")
    report(summary, as_json)
    details = summary.details
    if not as_json and (details.get("revised") or details.get("absent_services_count")):
        typer.echo(
            f"{details.get('revised', 0)} chiffres révisés"
            + (
                f", {details['absent_services_count']} services absents de cette édition"
                if details.get("absent_services_count")
                else ""
            )
            + f" : observatory imports show {summary.batch_id} --json",
            err=True,
        )


def _folder() -> FolderImporter:
    from ingest.etat4001.dropfolder import ETAT4001_FOLDER

    return ETAT4001_FOLDER


# -- services ---------------------------------------------------------------------------------


@services_app.command("list")
@friendly_errors
def services_list(
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="Département")
    ] = None,
    perimeter: PerimeterOption = None,
    commune: Annotated[str | None, typer.Option(help="Code INSEE : ses services")] = None,
    as_json: JsonOption = False,
) -> None:
    """Liste les services connus (chiffres importés) et les communes qu'ils couvrent."""
    from observatory.etat4001.services import list_services

    with engine_scope() as engine, engine.connect() as conn:
        services = list_services(conn, department=department, perimeter=perimeter, commune=commune)

    def line(s: dict[str, Any]) -> str:
        years = f"{s['first_period']}…{s['last_period']}" if s["first_period"] else "sans chiffres"
        communes = ", ".join(s["communes"]) or "aucune commune rattachée"
        return f"{s['department']}  {s['perimeter']}  {s['service']}  ({years}) : {communes}"

    echo_list(services, as_json, line, "Aucun service.")


@services_app.command("map")
@friendly_errors
def services_map(
    service: Annotated[str, typer.Argument(help="Nom du service, tel que l'état 4001 l'écrit")],
    communes: Annotated[list[str], typer.Argument(help="Codes INSEE des communes couvertes")],
    department: DepartmentOption,
    perimeter: PerimeterOption = None,
    replace: Annotated[bool, typer.Option(help="Remplace la liste au lieu d'ajouter")] = False,
) -> None:
    """Rattache des communes à un service (pour qu'une commune voie son CSP ou sa brigade)."""
    from observatory.etat4001.services import Mapping, map_communes

    with engine_scope() as engine, engine.begin() as conn:
        result = map_communes(
            conn, Mapping(perimeter, department, service, tuple(communes)), replace=replace
        )
    typer.echo(_mapping_line(result))


@services_app.command("unmap")
@friendly_errors
def services_unmap(
    service: Annotated[str, typer.Argument(help="Nom du service")],
    communes: Annotated[
        list[str] | None, typer.Argument(help="Communes à retirer (toutes sinon)")
    ] = None,
    department: DepartmentOption = "",
    perimeter: PerimeterOption = None,
) -> None:
    """Retire des communes d'un service (toutes, si aucune n'est donnée)."""
    from observatory.etat4001.services import Mapping, unmap_communes

    if not department:
        fail("Précisez le département : --department 31", code=2)
    with engine_scope() as engine, engine.begin() as conn:
        removed = unmap_communes(
            conn, Mapping(perimeter, department, service, tuple(communes or ()))
        )
    typer.echo(f"{removed} rattachement(s) retiré(s) pour « {service} ».")


@services_app.command("load")
@friendly_errors
def services_load(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV des rattachements")
    ],
    replace: Annotated[bool, typer.Option(help="Remplace tous les rattachements")] = False,
) -> None:
    """Charge un CSV perimeter,department,service,commune (tout ou rien)."""
    from ingest.etat4001.service_mapping import read_service_mapping
    from observatory.etat4001.services import load_mappings

    mappings = read_service_mapping(path)
    with engine_scope() as engine, engine.begin() as conn:
        total = load_mappings(conn, mappings, replace=replace)
    typer.echo(f"{len(mappings)} service(s), {total} rattachement(s) à des communes.")


@services_app.command("export")
@friendly_errors
def services_export(
    out: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Fichier (sinon la sortie)")
    ] = None,
) -> None:
    """Écrit les rattachements en CSV (à modifier puis recharger avec « load --replace »)."""
    from ingest.etat4001.service_mapping import write_service_mapping
    from observatory.etat4001.services import list_services

    with engine_scope() as engine, engine.connect() as conn:
        text = write_service_mapping(s for s in list_services(conn) if s["communes"])
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


def _mapping_line(result: dict[str, Any]) -> str:
    communes = ", ".join(result["communes"]) or "aucune"
    return (
        f"{result['service']} ({result['perimeter']}, {result['department']}) couvre : {communes}."
    )
