"""The incident points layer: police and admin only, the common filters, pages, the audit log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ingest.boundaries import import_communes
from observatory.settings import Settings
from tests.conftest import audit_rows, auth
from tests.samples import CAPITOLE, MIRAIL, SAMPLES, import_facts

URL = "/api/v1/layers/incidents"


@pytest.fixture
def facts(db: Engine, settings: Settings, tmp_path: Path) -> Engine:
    """Eleven facts: 4 night tapages, 3 day thefts, 1 out of period, 3 night thefts (summer)."""
    import_communes(db, SAMPLES / "communes_toulouse.geojson")
    rows = [
        ("N-1", "05/01/2024", "23:10", "", "", "Tapage", "1 place du Capitole", *CAPITOLE),
        ("N-2", "06/01/2024", "02:30", "", "", "Tapage", "1 place du Capitole", *CAPITOLE),
        ("N-3", "07/01/2024", "01:00", "", "", "Tapage", "2 place du Capitole", *CAPITOLE),
        ("N-4", "08/01/2024", "22:00", "", "", "Tapage", "", *MIRAIL),
        ("D-1", "05/01/2024", "10:00", "", "", "Vol simple", "3 rue d'Alsace", *CAPITOLE),
        ("D-2", "05/01/2024", "14:00", "", "", "Vol simple", "", *MIRAIL),
        ("D-3", "09/01/2024", "21:59", "", "", "Vol simple", "", *MIRAIL),
        ("OLD", "05/01/2023", "23:00", "", "", "Tapage", "", *CAPITOLE),
        ("S-1", "14/07/2024", "23:30", "15/07/2024", "06:00", "Cambriolage", "", *MIRAIL),
        ("S-2", "15/07/2024", "03:00", "", "", "Vol simple", "", *MIRAIL),
        ("S-3", "16/07/2024", "05:59", "", "", "Vol simple", "", *MIRAIL),
    ]
    import_facts(db, settings, tmp_path, rows)
    return db


@pytest.mark.parametrize("role", ["analyst", "partner"])
def test_roles_without_points_are_refused(
    client: TestClient, facts: Engine, make_token: Callable[[str], str], role: str
) -> None:
    answer = client.get(URL, headers=auth(make_token(role)))

    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "n'a pas accès" in answer.json()["detail"]
    assert audit_rows(facts) == []


def test_police_gets_the_points_of_the_filter_and_the_read_is_audited(
    client: TestClient, facts: Engine, make_token: Callable[[str], str]
) -> None:
    answer = client.get(
        URL,
        params={"from": "2024-01-01", "to": "2024-12-31", "hours": "22-6"},
        headers=auth(make_token("police")),
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    body = answer.json()
    got = {f["properties"]["occurred_at"]: f["properties"] for f in body["features"]}
    # Night facts of 2024, local time: the four tapages and the three summer night facts.
    assert sorted(got) == [
        "2024-01-05T23:10:00+01:00",
        "2024-01-06T02:30:00+01:00",
        "2024-01-07T01:00:00+01:00",
        "2024-01-08T22:00:00+01:00",
        "2024-07-14T23:30:00+02:00",
        "2024-07-15T03:00:00+02:00",
        "2024-07-16T05:59:00+02:00",
    ]
    first = got["2024-01-05T23:10:00+01:00"]
    assert first["category"] == "tapage"
    assert first["category_label"]
    assert first["address"] == "1 place du Capitole"
    assert first["commune"] == "31555"
    assert first["commune_name"] == "Toulouse"
    assert got["2024-07-14T23:30:00+02:00"]["occurred_until"] == "2024-07-15T06:00:00+02:00"
    point = body["features"][0]["geometry"]
    assert point["type"] == "Point"
    assert body["metadata"]["total"] == 7
    assert body["metadata"]["next_after"] is None

    [(actor, role, action, count, filters)] = audit_rows(facts)
    assert (role, action, count) == ("police", "layers/incidents", 7)
    assert actor.startswith("police-")
    assert filters["hours"] == [0, 1, 2, 3, 4, 5, 22, 23]
    assert filters["from"] == "2024-01-01"


def test_pages_by_keyset_and_offset_each_audited(
    client: TestClient, facts: Engine, make_token: Callable[[str], str]
) -> None:
    headers = auth(make_token("admin"))
    params = {"categories": "tapage,vol_simple"}

    pages: list[dict[str, Any]] = []
    after = None
    while True:
        keyset: dict[str, int] = {} if after is None else {"after": after}
        page = client.get(URL, params={**params, "limit": 4, **keyset}, headers=headers)
        pages.append(page.json())
        after = pages[-1]["metadata"]["next_after"]
        if after is None:
            break
    second = client.get(URL, params={**params, "limit": 4, "offset": 4}, headers=headers).json()

    ids = [f["id"] for page in pages for f in page["features"]]
    assert [p["metadata"]["total"] for p in pages] == [10, 10, 10]
    assert len(ids) == 10 and ids == sorted(set(ids))
    assert [f["id"] for f in second["features"]] == ids[4:8]
    assert [row[3] for row in audit_rows(facts)] == [4, 4, 2, 4]


def test_bbox_keeps_the_points_inside_it(
    client: TestClient, facts: Engine, make_token: Callable[[str], str]
) -> None:
    around_capitole = "1.44,43.60,1.45,43.61"
    answer = client.get(URL, params={"bbox": around_capitole}, headers=auth(make_token("police")))

    refs = sorted(f["properties"]["occurred_at"][:10] for f in answer.json()["features"])
    assert refs == ["2023-01-05", "2024-01-05", "2024-01-05", "2024-01-06", "2024-01-07"]
    assert answer.json()["metadata"]["total"] == 5


@pytest.mark.parametrize(
    ("params", "word"),
    [({"limit": 5001}, "limit"), ({"limit": 0}, "limit"), ({"hours": "25"}, "hours")],
)
def test_bad_parameters_answer_422_in_french(
    client: TestClient,
    facts: Engine,
    make_token: Callable[[str], str],
    params: dict[str, object],
    word: str,
) -> None:
    answer = client.get(URL, params=params, headers=auth(make_token("police")))

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert word in answer.json()["detail"]
    assert audit_rows(facts) == []


def test_without_token_401(client: TestClient, facts: Engine) -> None:
    assert client.get(URL).status_code == 401
