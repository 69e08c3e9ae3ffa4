"""Mappings saved by name in the database (table `mappings`), and their TOML file.

A saved mapping is the document a TOML mapping file holds (ingest.incidents.mapping), stored as
JSON: the import page's assistant writes one, ``--mapping NAME`` and the upload form read one.
It is checked as a file is (mapping_from_dict) before it is stored, and its TOML text
(mapping_toml) reads back through load_mapping into the same Mapping.

``--mapping`` takes a path or a name: an existing file is read as a mapping file; anything else
is the name of a saved mapping, else of a shipped profile (mapping_argument).

A saved mapping belongs to the scope of who saved it (``communes``: observatory/scopes.py, None
for every commune; the command line saves for every commune). A reader with a scope sees the
mappings saved within it and those of every commune (shared: headers and labels); it changes
or deletes only those its scope covers (``writable``), so those of every commune only an
administrator of every commune. The names are one list for all: a name taken in another scope
is refused without saying whose it is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Connection, String, delete, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ingest.incidents.mapping import (
    Mapping,
    available_profiles,
    load_mapping,
    mapping_from_dict,
    named_mapping,
)
from observatory.errors import InvalidInput, NotAllowed, NotFound
from observatory.models import SavedMapping
from observatory.scopes import Scope, as_list, covers, describe

# A name typed on a command line and shown in a list: letters, digits, spaces, - _ . ( ).
NAME = re.compile(r"^[\w][\w .()\-]{0,79}$")
NAME_RULE = (
    "1 à 80 caractères : lettres, chiffres, espaces, « - », « _ », « . », parenthèses, "
    "en commençant par une lettre ou un chiffre"
)
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
# The order of the keys in the TOML text: as the guide and the mapping module show them.
ORDER = (
    "source",
    "timezone",
    "crs",
    "date_order",
    "separator",
    "encoding",
    "territory",
    "month_is_interval",
    "sheet",
    "header_row",
)
TABLES = ("columns", "categories")


@dataclass(frozen=True)
class Saved:
    """A saved mapping as it is listed and shown."""

    name: str
    document: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    communes: Scope = None  # the scope of who saved it (None: every commune)

    def writable(self, scope: Scope) -> bool:
        """Whether a caller of this scope may replace or delete it."""
        return covers(scope, self.communes)


def visible(scope: Scope) -> ColumnElement[bool]:
    """The saved mappings a reader of this scope sees: every one for every commune (None);
    else those of every commune and those saved within the scope (not empty)."""
    table = SavedMapping.__table__
    if scope is None:
        return table.c.name.is_not(None)
    return or_(
        table.c.communes.is_(None),
        (func.cardinality(table.c.communes) > 0)
        & table.c.communes.op("<@")(literal(sorted(scope), ARRAY(String(5)))),
    )


def check_name(name: str) -> str:
    """The name, stripped; InvalidInput when it breaks the rule."""
    name = name.strip()
    if not NAME.match(name):
        raise InvalidInput(f"Nom de correspondance refusé : « {name} » ({NAME_RULE}).")
    return name


def check_document(document: Any) -> Mapping:
    """The Mapping of a document; InvalidInput (in French) when a file would be refused."""
    if not isinstance(document, dict):
        raise InvalidInput("Correspondance invalide : attendu un objet (les clés du fichier TOML).")
    if _has_nul(document):  # JSONB (as TOML) holds no NUL
        raise InvalidInput("Correspondance invalide : un texte contient le caractère NUL.")
    try:
        return mapping_from_dict(document)
    except InvalidInput as exc:
        raise InvalidInput(f"Correspondance invalide : {exc}") from exc


def save_mapping(
    conn: Connection | Session,
    name: str,
    document: dict[str, Any],
    created_by: str | None,
    scope: Scope = None,
) -> tuple[Saved, bool]:
    """Store (or replace) a mapping by name; the saved mapping and whether it is new.

    ``scope``: who saves it (None: every commune). A new mapping belongs to that scope; an
    existing one is replaced only when the scope covers its own (NotAllowed otherwise: the
    check and the write are one statement), and keeps its scope.
    """
    name = check_name(name)
    mapping = check_document(document)
    if scope is not None and mapping.commune is not None and mapping.commune not in scope:
        raise NotAllowed(
            f"La commune {mapping.commune} de la correspondance n'est pas dans votre périmètre "
            f"({describe(scope)})."
        )
    table = SavedMapping.__table__
    statement = (
        insert(SavedMapping)
        .values(name=name, document=document, created_by=created_by, communes=as_list(scope))
        .on_conflict_do_update(
            index_elements=["name"],
            set_={"document": document, "updated_at": func.now()},
            where=_covered_by(scope),
        )
        .returning(table.c.created_at == table.c.updated_at)
    )
    created = conn.execute(statement).scalar_one_or_none()
    if created is None:  # the name is taken by a mapping the scope does not cover
        raise NotAllowed(
            f"La correspondance « {name} » ne peut pas être remplacée depuis votre périmètre "
            f"({describe(scope)}) : choisissez un autre nom."
        )
    return get_saved(conn, name, scope), bool(created)


def _covered_by(scope: Scope) -> ColumnElement[bool]:
    """The stored mappings a writer of this scope may replace (covers, in SQL)."""
    table = SavedMapping.__table__
    if scope is None:
        return table.c.name.is_not(None)
    return table.c.communes.is_not(None) & table.c.communes.op("<@")(
        literal(sorted(scope), ARRAY(String(5)))
    )


def list_saved(conn: Connection | Session, scope: Scope = None) -> list[Saved]:
    """The saved mappings a reader of this scope sees (``visible``), by name."""
    rows = conn.execute(
        select(SavedMapping.__table__).where(visible(scope)).order_by(SavedMapping.name)
    ).all()
    return [_saved(r) for r in rows]


def get_saved(conn: Connection | Session, name: str, scope: Scope = None) -> Saved:
    """The saved mapping of this name that a reader of this scope sees; NotFound (naming those
    it sees) otherwise."""
    # A name that breaks the rule was never saved (and may hold what PostgreSQL refuses: NUL).
    valid = NAME.match(name.strip()) is not None
    row = (
        conn.execute(
            select(SavedMapping.__table__).where(SavedMapping.name == name.strip(), visible(scope))
        ).one_or_none()
        if valid
        else None
    )
    if row is None:
        known = [s.name for s in list_saved(conn, scope)]
        raise NotFound(
            f"Aucune correspondance enregistrée sous le nom « {name} » "
            f"(enregistrées : {', '.join(known) or 'aucune'})."
        )
    return _saved(row)


def delete_saved(conn: Connection | Session, name: str, scope: Scope = None) -> Saved:
    """Delete a saved mapping (NotFound when the scope does not see it, NotAllowed when it sees
    it without covering it); the mapping deleted."""
    saved = get_saved(conn, name, scope)
    if not saved.writable(scope):
        raise NotAllowed(
            f"La correspondance « {saved.name} » vaut pour toutes les communes : seul un "
            "administrateur sans périmètre la supprime."
        )
    result = conn.execute(
        delete(SavedMapping).where(SavedMapping.name == saved.name, _covered_by(scope))
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"Aucune correspondance enregistrée sous le nom « {name} ».")
    return saved


def load_saved(conn: Connection | Session, name: str, scope: Scope = None) -> Mapping:
    """The Mapping of a saved mapping that a reader of this scope sees."""
    return check_document(get_saved(conn, name, scope).document)


def mapping_argument(value: str, conn: Connection | Session) -> tuple[Mapping, str | None]:
    """What ``--mapping VALUE`` names: an existing file, else a saved mapping, else a shipped
    profile (ingest.incidents.mapping.named_mapping); and the saved mapping's name."""
    if Path(value).is_file():
        return load_mapping(Path(value)), None
    try:
        saved = get_saved(conn, value)
    except NotFound as exc:
        if value.strip() in available_profiles():
            return named_mapping(value.strip()), None
        raise NotFound(f"{exc} Profils livrés : {', '.join(available_profiles())}.") from exc
    return check_document(saved.document), saved.name


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _saved(row: Any) -> Saved:
    communes = None if row.communes is None else frozenset(row.communes)
    return Saved(
        row.name, dict(row.document), row.created_at, row.updated_at, row.created_by, communes
    )


# -- TOML --------------------------------------------------------------------------------------


def mapping_toml(name: str, document: dict[str, Any]) -> str:
    """The TOML mapping file of a document: load_mapping reads it back into the same Mapping."""
    lines = [f"# Correspondance « {name} » exportée par l'observatoire"]
    for key in [*ORDER, *sorted(set(document) - set(ORDER) - set(TABLES))]:
        if key in document and document[key] is not None:
            lines.append(f"{_key(key)} = {_value(document[key])}")
    for table in TABLES:
        values = document.get(table)
        if values:
            lines += ["", f"[{table}]"]
            lines += [f"{_key(str(k))} = {_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if BARE_KEY.match(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"Valeur non exportable en TOML : {value}")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise InvalidInput(f"Valeur non exportable en TOML : {value!r}")


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
