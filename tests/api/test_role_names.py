"""A refused role reads its refusal in French: the role and the roles let through by their
French names, never the codes stored with the tokens (admin, police, analyst, partner)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth

CODES = re.compile(r"\b(admin|analyst|partner)\b")


def refused(answer_json: dict[str, object]) -> str:
    detail = str(answer_json["detail"])
    assert not CODES.search(detail), detail
    return detail


@pytest.mark.parametrize(("role", "name"), [("analyst", "analyste"), ("partner", "partenaire")])
def test_a_route_for_points_names_the_roles_in_french(
    client: TestClient, make_token: Callable[[str], str], role: str, name: str
) -> None:
    answer = client.get("/api/v1/layers/incidents", headers=auth(make_token(role)))

    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    detail = refused(answer.json())
    assert f"Le rôle « {name} » n'a pas accès" in detail
    assert "réservée aux rôles : administrateur, police" in detail


def test_a_partner_refused_the_imports_reads_french_names(
    client: TestClient, make_token: Callable[[str], str]
) -> None:
    answer = client.get("/api/v1/imports", headers=auth(make_token("partner")))

    assert answer.status_code == 403
    detail = refused(answer.json())
    assert "« partenaire »" in detail
    assert "administrateur, police, analyste" in detail


@pytest.mark.parametrize(
    ("role", "name"), [("police", "police"), ("analyst", "analyste"), ("partner", "partenaire")]
)
def test_a_body_refused_before_it_is_read_names_the_roles_in_french(
    client: TestClient, make_token: Callable[[str], str], role: str, name: str
) -> None:
    """The upload is refused by the body guard (api/security.py), before any byte is read."""
    answer = client.post(
        "/api/v1/imports",
        headers={**auth(make_token(role)), "Content-Type": "text/csv"},
        content=b"a;b\n1;2\n",
    )

    assert answer.status_code == 403
    detail = refused(answer.json())
    assert detail == (
        f"Le rôle « {name} » n'a pas accès à cette ressource (réservée au rôle : administrateur)."
    )


def test_the_admin_is_let_through_the_same_guard(
    client: TestClient, make_token: Callable[[str], str]
) -> None:
    answer = client.get("/api/v1/imports", headers=auth(make_token("admin")))

    assert answer.status_code == 200
