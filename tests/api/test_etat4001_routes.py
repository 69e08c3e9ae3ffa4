"""The état 4001 API: nomenclature, tidy rows, series, services; roles and French errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from ingest.etat4001 import import_etat4001
from ingest.etat4001.service_mapping import read_service_mapping
from observatory.etat4001.services import load_mappings
from observatory.settings import PROJECT_ROOT
from tests.conftest import auth

SAMPLES = PROJECT_ROOT / "data" / "samples"
CUT = SAMPLES / "etat4001_haute_garonne.xlsx"
LOCAL = SAMPLES / "etat4001_csp_toulouse_2024.xlsx"
ROW_KEYS = {"period", "perimeter", "department", "service", "index", "label", "count"}


@pytest.fixture
def loaded(db: Engine) -> Engine:
    for name in ("etat4001_haute_garonne.xlsx", "etat4001_csp_toulouse_2024.xlsx"):
        import_etat4001(db, SAMPLES / name)
    with db.begin() as conn:
        load_mappings(conn, read_service_mapping(SAMPLES / "etat4001_services_toulouse.csv"))
    return db


def cut_column(sheet: str, service: str | None = None) -> dict[int, int]:
    """Index -> count in one sheet of the cut: one service's column, or all of them summed."""
    book = load_workbook(CUT, read_only=True, data_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    book.close()
    header = 3 if " PN " in sheet else 2
    columns = [c for c in range(2, len(rows[0])) if service in (None, rows[header - 1][c])]
    return {r[0]: sum(r[c] or 0 for c in columns) for r in rows[header:]}


def local_months(sheet: str) -> dict[int, list[int]]:
    book = load_workbook(LOCAL, data_only=True)
    ws = book[sheet]
    return {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(3, 15)] for r in range(7, 114)}


def get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    return client.get(f"/api/v1{path}", params=params, headers=auth(token))


def test_nomenclature_for_every_role(client: TestClient, make_token: Callable[[str], str]) -> None:
    assert client.get("/api/v1/nomenclature/etat4001").status_code == 401
    for role in ("admin", "police", "analyst", "partner"):
        response = get(client, make_token(role), "/nomenclature/etat4001")
        assert response.status_code == 200
    body = response.json()
    assert [i["index"] for i in body["index"]] == list(range(1, 108))
    assert [i["index"] for i in body["index"] if i["unused"]] == [96, 97, 99, 100]
    first = body["index"][0]
    assert first["published_label"] == "Règlements de compte entre malfaireurs"
    assert first["label"] == "Règlements de comptes entre malfaiteurs"
    assert {u["code"] for u in body["units"]} >= {"victimes", "faits", "vehicules", "mis_en_cause"}


def test_tidy_rows_filtered(
    client: TestClient, make_token: Callable[[str], str], loaded: Engine
) -> None:
    token = make_token("analyst")
    response = get(
        client,
        token,
        "/stats/etat4001",
        department="31",
        service="CIAT CENTRAL DE TOULOUSE",
        index="27,28",
        **{"from": "2019", "to": "2020"},
    )
    assert response.status_code == 200
    rows = response.json()
    assert response.headers["x-total-count"] == "4"
    assert all(set(r) >= ROW_KEYS for r in rows)
    expected = {
        (year, i): cut_column(f"Services PN {year}", "CIAT CENTRAL DE TOULOUSE")[i]
        for year in ("2019", "2020")
        for i in (27, 28)
    }
    assert {(r["period"], r["index"]): r["count"] for r in rows} == expected
    assert {r["label"] for r in rows if r["index"] == 27} == {
        "Cambriolages de locaux d'habitations principales"
    }
    assert {r["unit"] for r in rows} == {"faits"}
    # months of 2024 are within « from 2024 », the year 2020 is not within « from 2020-06 »
    months = get(client, token, "/stats/etat4001", index="27", **{"from": "2020-06"}).json()
    assert {r["period"][:4] for r in months} == {"2024"}


def test_department_figures_never_add_a_total_to_its_services(
    client: TestClient, make_token: Callable[[str], str], loaded: Engine
) -> None:
    token = make_token("analyst")
    rows = get(
        client, token, "/stats/etat4001", department="31", perimeter="PN", index="27",
        by="department",
    ).json()  # fmt: skip
    found = {r["period"]: r["count"] for r in rows}
    assert {r["service"] for r in rows} == {""}
    # 2019: no total imported, the sum of the police services of the cut
    assert found["2019"] == cut_column("Services PN 2019")[27]
    # 2024: the département total of the local extract, not total + CSP
    assert found["2024-03"] == local_months("Haute-Garonne PN")[27][2]


def test_series_of_a_commune_with_year_over_year_and_poisson_z(
    client: TestClient, make_token: Callable[[str], str], loaded: Engine
) -> None:
    token = make_token("police")
    body = get(client, token, "/stats/etat4001/series", commune="31555", group="indicator").json()
    burglaries = next(s for s in body["series"] if s["key"] == "cambriolages_logement")
    assert burglaries["unit"] == "faits" and burglaries["index"] == [27, 28]
    points = {p["year"]: p for p in burglaries["points"]}
    ciat = {y: cut_column(f"Services PN {y}", "CIAT CENTRAL DE TOULOUSE") for y in (2019, 2020)}
    c, p = ciat[2020][27] + ciat[2020][28], ciat[2019][27] + ciat[2019][28]
    assert (points[2020]["count"], points[2020]["previous"]) == (c, p)
    assert points[2020]["change"] == c - p
    assert points[2020]["z"] == pytest.approx(2 * (math.sqrt(c) - math.sqrt(p)), abs=0.01)
    csp = local_months("CSP TOULOUSE")
    assert points[2024]["count"] == sum(csp[27]) + sum(csp[28])
    assert points[2024]["complete"] and points[2024]["previous"] is None  # no 2023


def test_families_keep_units_apart_and_a_mixed_selection_is_refused(
    client: TestClient, make_token: Callable[[str], str], loaded: Engine
) -> None:
    token = make_token("analyst")
    body = get(client, token, "/stats/etat4001/series", department="31").json()
    nomenclature = {
        i["index"]: i for i in get(client, token, "/nomenclature/etat4001").json()["index"]
    }
    goods = [s for s in body["series"] if s["key"] == "atteintes_biens"]
    assert {s["unit"] for s in goods} == {"faits", "vehicules", "victimes_entendues"}
    for series in body["series"]:
        assert {nomenclature[i]["unit"] for i in series["index"]} == {series["unit"]}
        assert not {96, 97, 99, 100} & set(series["index"])
    refused = get(
        client, token, "/stats/etat4001/series", department="31", index="27,35", group="selection"
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "même unité de compte" in refused.json()["detail"]
    assert "véhicules : 35" in refused.json()["detail"]
    same_unit = get(
        client, token, "/stats/etat4001/series", department="31", index="34-38", group="selection"
    )
    assert same_unit.status_code == 200 and same_unit.json()["series"][0]["unit"] == "vehicules"


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"index": "0"}, "sort des index 1 à 107"),
        ({"from": "2024-13"}, "n'est pas une période"),
        ({"family": "vols"}, "valeurs possibles"),
        ({"department": "20"}, "n'est pas un code de département"),
        ({"commune": "31069"}, "Aucun service"),
    ],
)
def test_bad_parameters_are_explained(
    client: TestClient,
    make_token: Callable[[str], str],
    loaded: Engine,
    params: dict[str, str],
    words: str,
) -> None:
    response = get(client, make_token("analyst"), "/stats/etat4001", **params)
    assert response.status_code == 422
    assert words in response.json()["detail"]


def test_series_needs_a_scope(client: TestClient, make_token: Callable[[str], str]) -> None:
    response = get(client, make_token("analyst"), "/stats/etat4001/series")
    assert response.status_code == 422 and "Précisez" in response.json()["detail"]


def test_services_mapping_is_edited_by_admins(
    client: TestClient, make_token: Callable[[str], str], loaded: Engine
) -> None:
    body = {"perimeter": "GN", "department": "31", "service": "CGD MURET", "communes": ["31395"]}
    assert client.put("/api/v1/etat4001/services", json=body).status_code == 401
    analyst = client.put(
        "/api/v1/etat4001/services", json=body, headers=auth(make_token("analyst"))
    )
    assert analyst.status_code == 403
    admin = make_token("admin")
    done = client.put("/api/v1/etat4001/services", json=body, headers=auth(admin))
    assert done.status_code == 200 and done.json()["communes"] == ["31395"]
    listed = get(client, admin, "/etat4001/services", commune="31395").json()
    assert [s["service"] for s in listed] == ["CGD MURET"]
    rows = get(client, admin, "/stats/etat4001", commune="31395", index="27").json()
    assert {r["service"] for r in rows} == {"CGD MURET"}
    typo = dict(body, service="CGD MURRET")
    refused = client.put("/api/v1/etat4001/services", json=typo, headers=auth(admin))
    assert refused.status_code == 422
    assert "inconnu" in refused.json()["detail"] and "CGD MURET" in refused.json()["detail"]


def test_upload_an_etat4001_file(
    client: TestClient, make_token: Callable[[str], str], db: Engine
) -> None:
    with open(SAMPLES / "etat4001_tidy.csv", "rb") as handle:
        response = client.post(
            "/api/v1/imports",
            files={"file": ("etat4001_tidy.csv", handle, "text/csv")},
            data={"kind": "etat4001"},
            headers=auth(make_token("admin")),
        )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["rows_read"], body["rows_imported"]) == ("succeeded", 252, 252)


def test_partners_get_no_service_figures(
    client: TestClient, make_token: Callable[[str], str], loaded: Engine
) -> None:
    """Only « < 5 » would stand between a partner and a small figure, and two series ending a
    month apart give the month back: a service's figures are not for partners."""
    token = make_token("partner")
    for path in ("/stats/etat4001", "/stats/etat4001/series"):
        refused = get(client, token, path, department="31")
        assert refused.status_code == 403
        assert "pas diffusés aux partenaires" in refused.json()["detail"]
