"""observatory report: the CLSPD meeting pack, written to a file (HTML or PDF).

Exit codes: 0 written; 1 refused (unknown commune, Leaflet missing, database down); 2 usage
error (a month that is not AAAA-MM, an empty period, an unknown format, no such folder).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from observatory.cli.common import fail, friendly_errors, load_settings
from observatory.errors import InvalidInput


def _format(chosen: str | None, out: Path) -> str:
    """The format asked for, else the one the file name says, else PDF."""
    if chosen is not None:
        if chosen.lower() not in ("html", "pdf"):
            fail(f"--format vaut html ou pdf (reçu « {chosen} »).", code=2)
        return chosen.lower()
    return "html" if out.suffix.lower() in (".html", ".htm") else "pdf"


def _write(path: Path, data: bytes) -> None:
    """Write beside the target then rename: a half-written pack never has the final name."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".pack-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o640)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def register_report(app: typer.Typer) -> None:
    @app.command("report")
    @friendly_errors
    def report(
        start: Annotated[str, typer.Option("--from", help="Premier mois, AAAA-MM")],
        end: Annotated[str, typer.Option("--to", help="Dernier mois, inclus, AAAA-MM")],
        out: Annotated[Path, typer.Option("--out", help="Fichier à écrire (ou dossier)")],
        commune: Annotated[
            str | None, typer.Option("--commune", help="Code INSEE, ex. 31555")
        ] = None,
        communes: Annotated[
            str | None,
            typer.Option(
                "--communes",
                help="Plusieurs communes ensemble, ex. 31069,31149 (au lieu de --commune)",
            ),
        ] = None,
        format: Annotated[
            str | None, typer.Option("--format", help="html ou pdf (défaut : d'après --out)")
        ] = None,
        partner: Annotated[
            bool,
            typer.Option(
                "--partenaires",
                help="Version partenaires : comptes sous le seuil de secret masqués",
            ),
        ] = False,
        generation: Annotated[
            int, typer.Option("--generation", help="Géographie prioritaire : 2015 ou 2024")
        ] = 2024,
    ) -> None:
        """Produit le pack de réunion du CLSPD : carte hors ligne (HTML) ou dossier A4 (PDF)."""
        from observatory.reports import make_request, pack_figures, render_pack
        from observatory.scopes import parse_codes

        chosen = _format(format, out)
        try:
            request = make_request(
                commune,
                start,
                end,
                format=chosen,
                partner=partner,
                generation=generation,
                names=("--from", "--to"),
                communes=None if communes is None else sorted(parse_codes(communes)),
                commune_names=("--commune", "--communes"),
            )
        except InvalidInput as exc:
            fail(str(exc), code=2)
        target = out / request.filename() if out.is_dir() else out
        if not target.parent.is_dir():
            fail(f"Dossier introuvable pour --out : {target.parent}", code=2)
        settings = load_settings()
        from observatory.db import make_engine
        from observatory.store.incidents import IncidentStore

        engine = make_engine(settings.sqlalchemy_url, pool_size=1)
        try:
            snapshot = IncidentStore(engine, settings.timezone).snapshot()
            data = render_pack(pack_figures(engine, snapshot, request, settings))
        finally:
            engine.dispose()
        _write(target, data)
        level = " (version partenaires)" if partner else ""
        size = f"{len(data) / 1_000_000:.1f}".replace(".", ",")
        typer.echo(
            f"Pack CLSPD {chosen.upper()}{level} écrit : {target} ({size} Mo) — "
            f"commune{'s' if request.group else ''} {', '.join(request.codes)}, "
            f"{request.period_label()}."
        )
