"""What every command shares: settings, sessions, French errors and exit codes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from observatory.errors import ObservatoryError
from observatory.settings import Settings, get_settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

T = TypeVar("T")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain and connection errors into a French message and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ObservatoryError as exc:
            fail(str(exc))
        except OperationalError as exc:
            fail(
                "Base de données injoignable : "
                f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}.\n"
                "Sans DATABASE_URL, démarrez la base locale : observatory db start"
            )

    return wrapper


def load_settings() -> Settings:
    try:
        settings = get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'réglage'} : {e['msg']}" for e in exc.errors()
        )
        fail(f"Réglages invalides (variables OBS_… ou fichier .env) : {problems}")
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    if settings.log_level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    return settings


@contextmanager
def session_scope(settings: Settings) -> Iterator[Session]:
    from observatory.db import make_engine, make_sessionmaker

    engine = make_engine(settings.sqlalchemy_url, pool_size=1)
    try:
        with make_sessionmaker(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def echo_list(
    items: Sequence[T],
    as_json: bool,
    line: Callable[[T], str],
    empty: str,
    data: Callable[[T], Any] = lambda item: item,
) -> None:
    """A list on standard output: with --json one JSON array (each item through ``data``),
    else a line per item, or ``empty`` when there is none."""
    if as_json:
        typer.echo(json.dumps([data(item) for item in items], ensure_ascii=False))
    elif not items:
        typer.echo(empty)
    else:
        for item in items:
            typer.echo(line(item))
