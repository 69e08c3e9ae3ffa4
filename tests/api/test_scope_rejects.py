"""Rejected rows under scopes (issue 21, security review): a batch, its rejects and its
assistant are read by a caller with a scope only when the communes of its facts AND of its
rejected rows lie within it; a reject of unknown commune keeps the batch for readers of every
commune; an upload with a scope is its uploader's scope's; re-runs follow the same rule."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ingest.incidents import import_incidents
from ingest.incidents.scoping import TAKEN_ELSEWHERE
from observatory.db import make_sessionmaker
from observatory.imports import UNKNOWN_COMMUNE
from observatory.scopes import Scope
from observatory.settings import Settings
from observatory.tokens import create_token
from tests.conftest import TEST_SECRET, auth
from tests.samples import CAPITOLE, FACTS_HEADER

TLS, BLG = "31555", "31069"
LON, LAT = CAPITOLE


def token(db: Engine, name: str, role: str, communes: Scope) -> dict[str, str]:
    with make_sessionmaker(db).begin() as session:
        return auth(create_token(session, name, role, TEST_SECRET, communes=communes))


def load(db: Engine, settings: Settings, folder: Path, rows: list[str], source: str) -> int:
    path = folder / f"{source}.csv"
    path.write_text("\n".join([FACTS_HEADER, *rows]) + "\n", encoding="utf-8")
    return import_incidents(db, path, settings=settings, source=source).batch_id


def communes_of(db: Engine, batch: int) -> list[str] | None:
    with db.connect() as conn:
        found = conn.execute(
            text("SELECT communes FROM import_batch WHERE id = :id"), {"id": batch}
        ).scalar_one()
    return None if found is None else list(found)


def readable(client: TestClient, who: dict[str, str], batch: int) -> dict[str, int]:
    listed = client.get("/api/v1/imports", headers=who).json()["items"]
    return {
        "listed": int(batch in [b["batch_id"] for b in listed]),
        "batch": client.get(f"/api/v1/imports/{batch}", headers=who).status_code,
        "rejects": client.get(f"/api/v1/imports/{batch}/rejects", headers=who).status_code,
        "assistant": client.get(f"/api/v1/imports/{batch}/assistant", headers=who).status_code,
    }


HIDDEN = {"listed": 0, "batch": 404, "rejects": 404, "assistant": 404}
SHOWN = {"listed": 1, "batch": 200, "rejects": 200, "assistant": 200}


def test_the_rejects_of_another_commune_hide_the_batch_from_a_scoped_reader(
    client: TestClient, boundaries: Engine, settings: Settings, tmp_path: Path
) -> None:
    """The reviewer's case: a batch of a Toulouse fact and a rejected Blagnac row."""
    batch = load(
        boundaries,
        settings,
        tmp_path,
        [
            f"TLS-1;15/01/2024;22:10;;;Tapage;1 rue du Taur;{TLS};{LON};{LAT}",
            f"BLG-SECRET;15/01/2024;22:10;;;Nature inconnue;12 rue Secrète;{BLG};1.39;43.63",
        ],
        "epci",
    )
    assert communes_of(boundaries, batch) == [BLG, TLS]
    tls_police = token(boundaries, "tls-police", "police", frozenset({TLS}))
    assert readable(client, tls_police, batch) == HIDDEN
    for who in (
        token(boundaries, "duo-police", "police", frozenset({TLS, BLG})),
        token(boundaries, "all-police", "police", None),
    ):
        assert readable(client, who, batch) == SHOWN
        rejects = client.get(f"/api/v1/imports/{batch}/rejects", headers=who).json()
        assert rejects["items"][0]["raw"]["numero"] == "BLG-SECRET"


def test_a_reject_of_unknown_commune_keeps_the_batch_for_readers_of_every_commune(
    client: TestClient, boundaries: Engine, settings: Settings, tmp_path: Path
) -> None:
    tls_police = token(boundaries, "tls-police", "police", frozenset({TLS}))
    everyone = token(boundaries, "all-police", "police", None)
    known = [
        f"TLS-1;15/01/2024;22:10;;;Tapage;1 rue du Taur;{TLS};{LON};{LAT}",
        # No code, a bad date, a point in Toulouse: Toulouse's by its point.
        f"TLS-2;31/02/2024;22:10;;;Tapage;2 rue du Taur;;{LON};{LAT}",
        # A footer line holds no fact: it adds no commune.
        "Total : 3 lignes",
    ]
    batch = load(boundaries, settings, tmp_path, known, "connue")
    assert communes_of(boundaries, batch) == [TLS]
    assert readable(client, tls_police, batch) == SHOWN
    rejects = client.get(f"/api/v1/imports/{batch}/rejects", headers=tls_police).json()
    assert rejects["total"] == 2

    # A row with neither commune nor place: nobody knows whose it is.
    unknown = [*known[:1], "X-1;15/01/2024;22:10;;;Tapage;;;;"]
    batch = load(boundaries, settings, tmp_path, unknown, "inconnue")
    assert communes_of(boundaries, batch) == [TLS, UNKNOWN_COMMUNE]
    assert readable(client, tls_police, batch) == HIDDEN
    assert readable(client, everyone, batch) == SHOWN


def test_an_upload_with_a_scope_is_read_within_that_scope_even_when_refused(
    client: TestClient, boundaries: Engine
) -> None:
    tls_admin = token(boundaries, "tls-admin", "admin", frozenset({TLS}))
    blg_admin = token(boundaries, "blg-admin", "admin", frozenset({BLG}))
    refused = client.post(
        "/api/v1/imports",
        headers=tls_admin,
        files={"file": ("sans-lieu.csv", b"numero;commentaire\n1;rien\n", "text/csv")},
        data={"kind": "incidents"},
    )
    assert refused.status_code == 422, refused.text
    with boundaries.connect() as conn:
        sql = "SELECT id, communes FROM import_batch WHERE kind = 'incidents'"
        batch, communes = conn.execute(text(sql)).one()
    assert communes == [TLS]
    assistant = client.get(f"/api/v1/imports/{batch}/assistant", headers=tls_admin)
    assert assistant.status_code == 200 and assistant.json()["header"] == ["numero", "commentaire"]
    assert readable(client, blg_admin, batch) == HIDDEN


def test_a_remap_follows_the_same_rule(
    client: TestClient, boundaries: Engine, settings: Settings, tmp_path: Path
) -> None:
    root = token(boundaries, "root", "admin", None)
    tls_police = token(boundaries, "tls-police", "police", frozenset({TLS}))
    first = load(
        boundaries,
        settings,
        tmp_path,
        [
            f"T-1;15/01/2024;22:10;;;Chien errant;1 rue du Taur;{TLS};{LON};{LAT}",
            f"B-1;15/01/2024;22:10;;;Nid de frelons;3 rue Secrète;{BLG};1.39;43.63",
        ],
        "relance",
    )
    assert communes_of(boundaries, first) == [BLG, TLS]
    document = {"categories": {"Chien errant": "incivilite"}}
    assert (
        client.put("/api/v1/mappings/chiens", headers=root, json={"document": document})
    ).status_code == 201
    again = client.post(f"/api/v1/imports/{first}/remap", headers=root, json={"mapping": "chiens"})
    assert again.status_code == 201, again.text
    second = again.json()
    assert (second["rows_imported"], second["rows_rejected"]) == (1, 1)
    # Blagnac's row is rejected again: the new batch is Blagnac's too.
    assert communes_of(boundaries, second["batch_id"]) == [BLG, TLS]
    assert readable(client, tls_police, second["batch_id"]) == HIDDEN


def test_a_reference_taken_outside_the_scope_is_a_neutral_reject(
    client: TestClient, boundaries: Engine, settings: Settings, tmp_path: Path
) -> None:
    """The source's references are one list for all communes: an upload with a scope that
    repeats a reference of another commune's fact cannot import it, and is told no more."""
    first = load(
        boundaries,
        settings,
        tmp_path,
        [
            f"TLS-7;15/01/2024;22:10;;;Tapage;1 rue du Taur;{TLS};{LON};{LAT}",
            f"BLG-7;15/01/2024;23:10;;;Tapage;12 rue Secrète;{BLG};1.39;43.63",
        ],
        "pm",
    )
    tls_admin = token(boundaries, "tls-admin", "admin", frozenset({TLS}))
    rows = [
        f"TLS-7;15/01/2024;22:10;;;Tapage;1 rue du Taur;{TLS};{LON};{LAT}",
        f"BLG-7;16/01/2024;10:00;;;Tapage;3 rue du Taur;{TLS};{LON};{LAT}",
        f"TLS-8;17/01/2024;10:00;;;Tapage;4 rue du Taur;{TLS};{LON};{LAT}",
    ]
    answer = client.post(
        "/api/v1/imports",
        headers=tls_admin,
        files={"file": ("envoi.csv", "\n".join([FACTS_HEADER, *rows]).encode(), "text/csv")},
        data={"kind": "incidents", "source": "pm"},
    )
    assert answer.status_code == 201, answer.text
    batch = answer.json()
    counts = [batch[k] for k in ("rows_read", "rows_imported", "rows_duplicate", "rows_rejected")]
    assert counts == [3, 1, 1, 1]
    rejects = client.get(f"/api/v1/imports/{batch['batch_id']}/rejects", headers=tls_admin)
    assert rejects.status_code == 200
    (reject,) = rejects.json()["items"]
    assert reject["row_number"] == 3 and reject["reason"] == TAKEN_ELSEWHERE
    for body in (answer.text, rejects.text):
        assert BLG not in body and "Secrète" not in body and f"n° {first}" not in body
    with boundaries.connect() as conn:
        sql = "SELECT source_ref, commune_code FROM incident WHERE source = 'pm'"
        facts = {ref: code for ref, code in conn.execute(text(sql))}
    assert facts == {"TLS-7": TLS, "BLG-7": BLG, "TLS-8": TLS}


def test_a_remap_by_a_scoped_administrator_is_its_scopes(
    client: TestClient, boundaries: Engine, settings: Settings, tmp_path: Path
) -> None:
    tls_admin = token(boundaries, "tls-admin", "admin", frozenset({TLS}))
    blg_police = token(boundaries, "blg-police", "police", frozenset({BLG}))
    first = load(
        boundaries,
        settings,
        tmp_path,
        [f"T-1;15/01/2024;22:10;;;Chien errant;1 rue du Taur;{TLS};{LON};{LAT}"],
        "relance-tls",
    )
    assert communes_of(boundaries, first) == [TLS]
    document = {"categories": {"Chien errant": "incivilite"}}
    url = "/api/v1/mappings/chiens-tls"
    saved = client.put(url, headers=tls_admin, json={"document": document})
    assert saved.status_code == 201
    again = client.post(
        f"/api/v1/imports/{first}/remap", headers=tls_admin, json={"mapping": "chiens-tls"}
    )
    assert again.status_code == 201, again.text
    assert again.json()["rows_imported"] == 1
    assert communes_of(boundaries, again.json()["batch_id"]) == [TLS]
    assert readable(client, blg_police, again.json()["batch_id"]) == HIDDEN
    # Blagnac's administrator neither sees the batch nor uses Toulouse's mapping.
    blg_admin = token(boundaries, "blg-admin", "admin", frozenset({BLG}))
    refused = client.post(
        f"/api/v1/imports/{first}/remap", headers=blg_admin, json={"mapping": "chiens-tls"}
    )
    assert refused.status_code == 404
