"""Saved mappings under scopes (issue 21, security review): a mapping belongs to the scope of
who saved it; a caller scoped to Blagnac neither reads, replaces nor deletes Toulouse's, and
every change is in the audit log."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from observatory.db import make_sessionmaker
from observatory.scopes import Scope
from observatory.tokens import create_token
from tests.conftest import TEST_SECRET, audit_rows, auth

TLS, BLG = "31555", "31069"
TOULOUSE_DOC = {"categories": {"Chien errant": "incivilite"}, "commune": TLS}


def token(db: Engine, name: str, role: str, communes: Scope) -> dict[str, str]:
    with make_sessionmaker(db).begin() as session:
        return auth(create_token(session, name, role, TEST_SECRET, communes=communes))


def stored(db: Engine) -> dict[str, tuple[dict, list[str] | None]]:
    with db.connect() as conn:
        rows = conn.execute(text("SELECT name, document, communes FROM mappings")).all()
    return {name: (document, communes) for name, document, communes in rows}


def test_a_scoped_caller_cannot_read_or_change_another_scopes_mapping(
    client: TestClient, db: Engine
) -> None:
    tls_admin = token(db, "tls-admin", "admin", frozenset({TLS}))
    blg_admin = token(db, "blg-admin", "admin", frozenset({BLG}))
    blg_police = token(db, "blg-police", "police", frozenset({BLG}))
    tls_police = token(db, "tls-police", "police", frozenset({TLS}))
    root = token(db, "root", "admin", None)
    url = "/api/v1/mappings/toulouse-pm"

    made = client.put(url, headers=tls_admin, json={"document": TOULOUSE_DOC})
    assert made.status_code == 201, made.text
    assert made.json()["communes"] == [TLS]
    assert stored(db)["toulouse-pm"] == (TOULOUSE_DOC, [TLS])

    # Blagnac's police sees no mapping, and not this one by name, in JSON or TOML.
    assert client.get("/api/v1/mappings", headers=blg_police).json() == []
    for path in (url, f"{url}/toml"):
        answer = client.get(path, headers=blg_police)
        assert answer.status_code == 404, answer.text
        assert TLS not in answer.text and "tls-admin" not in answer.text
    # Toulouse's police reads it.
    listed = client.get("/api/v1/mappings", headers=tls_police).json()
    assert [m["name"] for m in listed] == ["toulouse-pm"]
    assert listed[0]["document"] == TOULOUSE_DOC

    # Blagnac's admin neither overwrites nor deletes it, and is not told whose it is.
    evil = {"categories": {"Chien errant": "cambriolage_logement"}}
    overwrite = client.put(url, headers=blg_admin, json={"document": evil})
    assert overwrite.status_code == 403, overwrite.text
    assert TLS not in overwrite.text and "tls-admin" not in overwrite.text
    assert client.delete(url, headers=blg_admin).status_code == 404
    assert stored(db)["toulouse-pm"] == (TOULOUSE_DOC, [TLS])

    # A mapping naming a commune outside the saver's scope is refused.
    outside = client.put(
        "/api/v1/mappings/blagnac-pm", headers=tls_admin, json={"document": {"commune": BLG}}
    )
    assert outside.status_code == 403 and BLG in outside.json()["detail"]
    assert "blagnac-pm" not in stored(db)

    # The administrator of every commune reads and changes it; it keeps its scope.
    changed = {"categories": {"Chien errant": "incivilite", "Tapage": "tapage"}}
    assert client.put(url, headers=root, json={"document": changed}).status_code == 200
    assert stored(db)["toulouse-pm"] == (changed, [TLS])
    assert client.delete(url, headers=tls_admin).status_code == 204
    assert stored(db) == {}

    actions = [(row[0], row[2]) for row in audit_rows(db)]
    assert actions.count(("tls-admin", "correspondance enregistrée")) == 1
    assert ("root", "correspondance enregistrée") in actions
    assert ("tls-admin", "correspondance supprimée") in actions
    assert not [a for a in actions if a[0] == "blg-admin" and "correspondance" in a[1]]


def test_a_mapping_of_every_commune_is_read_by_all_and_changed_by_the_unscoped_only(
    client: TestClient, db: Engine
) -> None:
    root = token(db, "root", "admin", None)
    tls_admin = token(db, "tls-admin", "admin", frozenset({TLS}))
    url = "/api/v1/mappings/commun"
    shared = {"categories": {"Chien errant": "incivilite"}}
    assert client.put(url, headers=root, json={"document": shared}).status_code == 201
    seen = client.get(url, headers=tls_admin)
    assert seen.status_code == 200
    assert seen.json()["communes"] is None and seen.json()["created_by"] is None
    assert client.get(url, headers=root).json()["created_by"] == "api:root"
    assert client.put(url, headers=tls_admin, json={"document": {}}).status_code == 403
    refused = client.delete(url, headers=tls_admin)
    assert refused.status_code == 403 and "toutes les communes" in refused.json()["detail"]
    assert stored(db)["commun"] == (shared, None)
    # A scoped admin's unknown name lists only the mappings it sees.
    assert (
        client.put(
            "/api/v1/mappings/toulouse", headers=tls_admin, json={"document": {}}
        ).status_code
        == 201
    )
    blg_admin = token(db, "blg-admin", "admin", frozenset({BLG}))
    missing = client.get("/api/v1/mappings/absente", headers=blg_admin)
    assert missing.status_code == 404
    assert "commun" in missing.json()["detail"] and "toulouse" not in missing.json()["detail"]


def test_an_upload_or_a_remap_names_only_a_mapping_the_caller_sees(
    client: TestClient, db: Engine
) -> None:
    tls_admin = token(db, "tls-admin", "admin", frozenset({TLS}))
    blg_admin = token(db, "blg-admin", "admin", frozenset({BLG}))
    url = "/api/v1/mappings/toulouse-pm"
    assert client.put(url, headers=tls_admin, json={"document": TOULOUSE_DOC}).status_code == 201
    answer = client.post(
        "/api/v1/imports",
        headers=blg_admin,
        files={"file": ("f.csv", b"Date;Nature;Longitude;Latitude\n", "text/csv")},
        data={"kind": "incidents", "mapping": "toulouse-pm"},
    )
    assert answer.status_code == 404, answer.text
    assert "toulouse-pm" in answer.json()["detail"]  # the name asked, echoed: nothing more
    assert TLS not in answer.json()["detail"]
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM import_batch")).scalar_one() == 0
