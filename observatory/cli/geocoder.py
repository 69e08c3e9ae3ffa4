"""observatory geocoder … and observatory geocode: the offline geocoder (addok on a local Redis)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from observatory.cli.common import fail, friendly_errors, load_settings

geocoder_app = typer.Typer(
    help="Géocodeur hors ligne (addok) : son serveur Redis local et la Base Adresse Nationale."
)


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


@geocoder_app.command("start")
@friendly_errors
def geocoder_start() -> None:
    """Démarre le serveur Redis local du géocodeur (son port, son dossier sous var/)."""
    from observatory.geocoder.server import LocalRedis

    server = LocalRedis.from_settings(load_settings())
    started = server.start()
    state = "démarré" if started else "déjà en marche"
    typer.echo(f"Géocodeur {state} : 127.0.0.1:{server.port}, données dans {server.directory}")


@geocoder_app.command("stop")
@friendly_errors
def geocoder_stop() -> None:
    """Arrête le serveur du géocodeur (la référence chargée est gardée sur disque)."""
    from observatory.geocoder.server import LocalRedis

    stopped = LocalRedis.from_settings(load_settings()).stop()
    typer.echo("Géocodeur arrêté." if stopped else "Le géocodeur n'était pas démarré.")


@geocoder_app.command("status")
@friendly_errors
def geocoder_status() -> None:
    """Indique si le géocodeur répond et quelles communes il connaît (code 1 s'il est arrêté)."""
    from observatory.geocoder.load import loaded_communes
    from observatory.geocoder.server import LocalRedis

    settings = load_settings()
    server = LocalRedis.from_settings(settings)
    if not server.is_running():
        fail(
            f"Géocodeur arrêté (données : {server.directory}). Lancez : observatory geocoder start"
        )
    communes = loaded_communes(settings)
    streets = sum(c.streets for c in communes)
    addresses = sum(c.addresses for c in communes)
    typer.echo(f"Géocodeur en marche : 127.0.0.1:{server.port}")
    if not communes:
        typer.echo(
            "Aucune adresse chargée. Chargez le fichier de la BAN de votre département : "
            "observatory geocoder load adresses-XX.csv.gz"
        )
        return
    typer.echo(
        f"Référence : {_number(len(communes))} communes, {_number(streets)} voies, "
        f"{_number(addresses)} adresses."
    )


class _Progress:
    """A French progress line on standard error, rewritten in place on a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, name: str, share: float, summary: object) -> None:
        now = time.monotonic()
        if share < 1 and now - self.last < (0.2 if self.tty else 5):
            return
        self.last = now
        from observatory.geocoder.load import LoadSummary

        assert isinstance(summary, LoadSummary)
        line = (
            f"Chargement de {name} : {share:4.0%} — {_number(summary.communes)} communes, "
            f"{_number(summary.addresses)} adresses"
        )
        if self.tty:
            sys.stderr.write("\r" + line + ("\n" if share >= 1 else ""))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


@geocoder_app.command("load")
@friendly_errors
def geocoder_load(
    paths: Annotated[
        list[Path],
        typer.Argument(
            exists=True, dir_okay=False, help="Fichiers « adresses-XX.csv(.gz) » de la BAN"
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Recharge aussi les communes inchangées")
    ] = False,
) -> None:
    """Charge les adresses de la BAN, commune par commune (une commune rechargée remplace
    l'ancienne)."""
    from observatory.db import make_engine
    from observatory.geocoder.load import load_ban
    from observatory.places.store import StreetWriter

    settings = load_settings()
    # The streets drawn on the map (observatory/places/) are stored in the database meanwhile.
    engine = make_engine(settings.sqlalchemy_url, pool_size=1)
    lines = StreetWriter(engine)
    try:
        summary = load_ban(settings, paths, force=force, progress=_Progress(), each_commune=lines)
    finally:
        engine.dispose()
    typer.echo(
        f"Chargé : {_number(summary.communes)} communes, {_number(summary.streets)} voies, "
        f"{_number(summary.addresses)} adresses."
    )
    if lines.problem is None:
        typer.echo(f"Voies dessinées sur la carte : {_number(lines.streets)}.")
    else:
        typer.echo(
            f"Voies non enregistrées dans la base ({lines.problem}) : la carte n'aura pas les "
            "noms des rues ; relancez ce chargement quand la base est prête (observatory db "
            "upgrade).",
            err=True,
        )
    if summary.unchanged:
        typer.echo(f"Inchangées (déjà chargées) : {_number(summary.unchanged)} communes.")


def geocode_command(
    text: Annotated[str, typer.Argument(help="L'adresse, telle qu'écrite")],
    as_json: Annotated[bool, typer.Option("--json", help="Réponse en JSON")] = False,
    commune: Annotated[
        str | None, typer.Option("--commune", help="Code INSEE de la commune où chercher")
    ] = None,
) -> None:
    """Géocode une adresse : longitude, latitude, score, libellé et type du résultat."""
    from observatory.geocoder.engine import geocode
    from observatory.geocoder.load import index_client

    settings = load_settings()
    try:
        index_client(settings).ping()
    except Exception:
        fail(
            f"Le géocodeur ne répond pas (127.0.0.1:{settings.redis_port}). "
            "Lancez : observatory geocoder start"
        )
    result = geocode(settings, text, commune)
    if as_json:
        typer.echo(json.dumps(result.as_dict() if result else None, ensure_ascii=False))
        if result is None:
            raise typer.Exit(1)
        return
    if result is None:
        fail(f"Adresse introuvable : « {text} ».")
    typer.echo(
        f"{result.lon:.6f} {result.lat:.6f}  score {result.score:.2f}  "
        f"{result.label}  ({result.type})"
    )


def register_geocoder(app: typer.Typer) -> None:
    app.add_typer(geocoder_app, name="geocoder")
    app.command("geocode")(friendly_errors(geocode_command))
