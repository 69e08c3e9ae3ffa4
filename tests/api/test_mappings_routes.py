"""Saved mappings through the API: roles, French 422s, the TOML export read back, and the
assistant's round: unknown labels listed, a mapping saved, the rejects re-run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from ingest.incidents.mapping import load_mapping, mapping_from_dict
from tests.conftest import auth

PROBLEM = "application/problem+json"
EXPORT = (
    "N° fiche;Date des faits;Heure;Nature;Longitude;Latitude\n"
    "F-1;15/01/2024;22:10;Tapage nocturne;1,44330;43,60450\n"
    "F-2;16/01/2024;08:00;Chien errant;1,44900;43,60600\n"
    "F-3;16/01/2024;09:00;Chien errant;1,44910;43,60610\n"
    "F-4;17/01/2024;09:00;Nid de frelons;1,44910;43,60610\n"
)


def upload(client: TestClient, token: str, body: str, **form: str) -> dict:
    answer = client.post(
        "/api/v1/imports",
        headers=auth(token),
        files={"file": ("export.csv", body.encode(), "text/csv")},
        data={"kind": "incidents", **form},
    )
    assert answer.status_code in (201, 422), answer.text
    return dict(answer.json())


def test_mappings_roles_and_errors(client: TestClient, make_token: Callable[[str], str]) -> None:
    admin, police, analyst, partner = (
        make_token(r) for r in ("admin", "police", "analyst", "partner")
    )
    document = {"categories": {"Chien errant": "incivilite"}, "crs": 2154}

    assert client.put("/api/v1/mappings/pm", json={"document": document}).status_code == 401
    refused = client.put("/api/v1/mappings/pm", headers=auth(analyst), json={"document": document})
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    assert (
        client.put("/api/v1/mappings/pm", headers=auth(police), json={"document": {}}).status_code
        == 403
    )
    assert client.get("/api/v1/mappings", headers=auth(partner)).status_code == 403

    created = client.put("/api/v1/mappings/pm", headers=auth(admin), json={"document": document})
    assert created.status_code == 201, created.text
    assert created.json()["created_by"].startswith("api:admin")
    replaced = client.put("/api/v1/mappings/pm", headers=auth(admin), json={"document": document})
    assert replaced.status_code == 200

    bad = client.put(
        "/api/v1/mappings/pm",
        headers=auth(admin),
        json={"document": {"categories": {"Chien errant": "chien"}}},
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert "code(s) de catégorie inconnu(s) chien" in bad.json()["detail"]
    unknown_key = client.put(
        "/api/v1/mappings/pm", headers=auth(admin), json={"document": {"colonnes": {}}}
    )
    assert (
        unknown_key.status_code == 422
        and "clé(s) inconnue(s) : colonnes" in unknown_key.json()["detail"]
    )
    bad_name = client.put("/api/v1/mappings/-x", headers=auth(admin), json={"document": {}})
    assert (
        bad_name.status_code == 422 and "Nom de correspondance refusé" in bad_name.json()["detail"]
    )

    listed = client.get("/api/v1/mappings", headers=auth(analyst)).json()
    assert [m["name"] for m in listed] == ["pm"] and listed[0]["document"] == document
    assert client.get("/api/v1/mappings/absente", headers=auth(analyst)).status_code == 404

    assert client.delete("/api/v1/mappings/pm", headers=auth(analyst)).status_code == 403
    assert client.delete("/api/v1/mappings/pm", headers=auth(admin)).status_code == 204
    assert client.get("/api/v1/mappings", headers=auth(admin)).json() == []


def test_the_toml_export_loads_back(
    client: TestClient, make_token: Callable[[str], str], tmp_path: Path
) -> None:
    admin = make_token("admin")
    document = {
        "columns": {"category": "Nature de l'intervention", "datetime": 'Date "début"'},
        "categories": {"Chien errant": "incivilite", "Tapage \\ voisins": "tapage"},
        "territory": [1.2, 43.5, 1.6, 43.8],
        "header_row": 3,
        "separator": ";",
    }
    name = "Police municipale (Toulouse)"
    assert (
        client.put(
            f"/api/v1/mappings/{name}", headers=auth(admin), json={"document": document}
        ).status_code
        == 201
    )
    exported = client.get(f"/api/v1/mappings/{name}/toml", headers=auth(admin))
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/plain")
    assert 'filename="Police_municipale__Toulouse_.toml"' in exported.headers["content-disposition"]
    path = tmp_path / "exportee.toml"
    path.write_bytes(exported.content)
    assert load_mapping(path) == mapping_from_dict(document)


def test_the_assistant_round_through_the_api(
    client: TestClient, make_token: Callable[[str], str]
) -> None:
    admin, police, analyst = make_token("admin"), make_token("police"), make_token("analyst")
    first = upload(client, admin, EXPORT)
    assert (first["rows_read"], first["rows_imported"], first["rows_rejected"]) == (4, 1, 3)
    batch = first["batch_id"]

    assert (
        client.get(f"/api/v1/imports/{batch}/assistant", headers=auth(analyst)).status_code == 403
    )
    view = client.get(f"/api/v1/imports/{batch}/assistant", headers=auth(police)).json()
    assert [(u["label"], u["rows"]) for u in view["unknown_labels"]] == [
        ("Chien errant", 2),
        ("Nid de frelons", 1),
    ]
    assert all(len(u["suggestions"]) == 3 for u in view["unknown_labels"])
    assert view["rerunnable"] == 3 and view["missing_fields"] == []

    document = {"categories": {"Chien errant": "incivilite", "Nid de frelons": "autre"}}
    client.put("/api/v1/mappings/pm", headers=auth(admin), json={"document": document})
    denied = client.post(
        f"/api/v1/imports/{batch}/remap", headers=auth(analyst), json={"mapping": "pm"}
    )
    assert denied.status_code == 403
    missing = client.post(
        f"/api/v1/imports/{batch}/remap", headers=auth(admin), json={"mapping": "x"}
    )
    assert missing.status_code == 404 and "Aucune correspondance" in missing.json()["detail"]
    rerun = client.post(
        f"/api/v1/imports/{batch}/remap", headers=auth(admin), json={"mapping": "pm"}
    )
    assert rerun.status_code == 201, rerun.text
    second = rerun.json()
    assert (second["rows_read"], second["rows_imported"], second["rows_rejected"]) == (3, 3, 0)
    assert second["details"]["rerun_of"] == batch and second["details"]["mapping"] == "pm"

    again = client.post(
        f"/api/v1/imports/{batch}/remap", headers=auth(admin), json={"mapping": "pm"}
    )
    assert again.status_code == 422 and "déjà été" in again.json()["detail"]
    same = client.get(f"/api/v1/imports/{batch}", headers=auth(admin)).json()
    assert (same["rows_read"], same["rows_imported"], same["rows_rejected"]) == (4, 1, 3)
    rejects = client.get(f"/api/v1/imports/{batch}/rejects", headers=auth(admin)).json()["items"]
    assert [r["rerun_batch_id"] for r in rejects] == [second["batch_id"]] * 3

    # The same file uploaded again with the mapping: every row already there, as duplicates.
    with_mapping = upload(client, admin, EXPORT, mapping="pm")
    assert (with_mapping["rows_duplicate"], with_mapping["rows_rejected"]) == (4, 0)
    both = upload(client, admin, EXPORT, mapping="pm", profile="police-uk")
    assert "pas les deux" in both["detail"]


def test_a_refused_upload_shows_its_columns_and_takes_the_mapping_next_time(
    client: TestClient, make_token: Callable[[str], str]
) -> None:
    admin, analyst = make_token("admin"), make_token("analyst")
    body = (
        "Numéro;Quand;Quoi;X;Y\n"
        "A-1;15/01/2024 22:10;Tapage nocturne;574000;6280000\n"
        "A-2;16/01/2024 08:00;Rixe;574100;6280100\n"
    )
    refused = upload(client, admin, body)
    assert "Colonnes introuvables" in refused["detail"]
    batch = client.get("/api/v1/imports", headers=auth(admin)).json()["items"][0]
    view = client.get(f"/api/v1/imports/{batch['batch_id']}/assistant", headers=auth(admin)).json()
    assert view["header"] == ["Numéro", "Quand", "Quoi", "X", "Y"]
    assert view["missing_fields"] == ["date", "category"]
    assert view["file_kept"] is False and "téléversez-le de nouveau" in view["advice"]
    # The header may be a data row: analysts see the count of nothing of it.
    shown = client.get(f"/api/v1/imports/{batch['batch_id']}", headers=auth(analyst)).json()
    assert "header" not in shown["details"] and shown["details"]["missing_fields"]

    rerun = client.post(
        f"/api/v1/imports/{batch['batch_id']}/remap", headers=auth(admin), json={"mapping": "m"}
    )
    assert rerun.status_code == 404  # no such mapping yet
    document = {"columns": {"datetime": "Quand", "category": "Quoi"}, "crs": 2154}
    client.put("/api/v1/mappings/m", headers=auth(admin), json={"document": document})
    rerun = client.post(
        f"/api/v1/imports/{batch['batch_id']}/remap", headers=auth(admin), json={"mapping": "m"}
    )
    assert rerun.status_code == 422 and "téléversez-le de nouveau" in rerun.json()["detail"]
    imported = upload(client, admin, body, mapping="m")
    assert (imported["rows_read"], imported["rows_imported"]) == (2, 2)
    assert imported["details"]["mapping"] == "m"
