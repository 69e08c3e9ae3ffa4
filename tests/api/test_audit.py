"""Every read of individual incidents is in the audit log, which the admin reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ingest.incidents import import_incidents
from observatory.settings import Settings
from tests.conftest import auth

HEADER = "numero;date_faits;heure_faits;nature;code_insee;longitude;latitude"


def test_points_read_by_police_show_in_the_audit(
    client: TestClient,
    db: Engine,
    settings: Settings,
    make_token: Callable[[str], str],
    database_url: str,
    tmp_path: Path,
) -> None:
    path = tmp_path / "f.csv"
    rows = [f"A-{i};0{1 + i % 5}/06/2024;10:00;tapage;31555;1.44{i};43.60" for i in range(7)]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    import_incidents(db, path, settings=settings, source="pm")
    police, admin, analyst = make_token("police"), make_token("admin"), make_token("analyst")

    points = client.get(
        "/api/v1/layers/incidents", params={"from": "2024-06-02"}, headers=auth(police)
    )
    log = client.get("/api/v1/audit", headers=auth(admin))
    refused = client.get("/api/v1/audit", headers=auth(analyst))

    read = len(points.json()["features"])
    assert read == sum(1 for i in range(7) if 1 + i % 5 >= 2)
    entry = log.json()["entries"][0]
    assert entry["role"] == "police" and entry["row_count"] == read
    assert entry["action"] == "layers/incidents"
    assert entry["filters"]["from"] == "2024-06-02"
    assert refused.status_code == 403
    env = {**os.environ, "DATABASE_URL": database_url}
    cli = subprocess.run(
        [sys.executable, "-m", "observatory", "audit", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert [e["row_count"] for e in json.loads(cli.stdout)] == [read]
