"""Issue 17's findings, each as an attack through the API (a real server where the socket
matters): hostile files uploaded, bodies sent without the right token, wrong tokens from one
address and a forged X-Forwarded-For, odd upload names, a QPV upload from the form, a killed
batch, a purge followed at once by answers."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from observatory.settings import PROJECT_ROOT, Settings
from tests.conftest import api_settings, auth
from tests.ingest.test_filetypes import vrt, xlsx_bomb
from tests.servers import serving

SAMPLES = PROJECT_ROOT / "data" / "samples"


def upload(
    client: TestClient, token: str, name: str, content: bytes, **form: str
) -> tuple[int, dict]:
    answer = client.post(
        "/api/v1/imports", headers=auth(token), files={"file": (name, content)}, data=form
    )
    return answer.status_code, answer.json()


def counts(db: Engine) -> tuple[int, int, int, int]:
    with db.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("incident", "import_reject", "qpv", "commune")
        )


@pytest.mark.parametrize("kind", ["incidents", "qpv", "communes"])
def test_a_vrt_upload_reads_no_server_file(
    client: TestClient, make_token: Callable[[str], str], db: Engine, kind: str
) -> None:
    admin = make_token("admin")
    status, body = upload(client, admin, "contours.geojson", vrt("/etc/passwd"), kind=kind)
    assert status == 422, body
    assert "XML" in body["detail"] and "VRT" in body["detail"]
    assert counts(db) == (0, 0, 0, 0)
    batches = client.get("/api/v1/imports", headers=auth(admin)).json()["items"]
    assert batches[0]["status"] == "failed"
    assert "root:" not in str(batches)


def test_a_zip_bomb_upload_is_a_413_and_writes_nothing(
    client: TestClient, make_token: Callable[[str], str], db: Engine
) -> None:
    admin = make_token("admin")
    bomb = xlsx_bomb(200_000)
    assert len(bomb) < 100_000
    status, body = upload(client, admin, "faits.xlsx", bomb)
    assert status == 413, body
    assert "bombe zip" in body["detail"]
    assert counts(db) == (0, 0, 0, 0)


@pytest.mark.parametrize("name", ["..", ".", "x" * 300, "dossier/faits.csv"])
def test_odd_upload_names_are_a_422(
    client: TestClient, make_token: Callable[[str], str], name: str
) -> None:
    status, body = upload(client, make_token("admin"), name, b"date;nature\n2024-01-01;vol\n")
    assert status == 422, body
    assert "Nom de fichier refusé" in body["detail"]


def test_a_qpv_upload_from_the_form_works_and_a_bad_generation_is_french(
    client: TestClient, make_token: Callable[[str], str], db: Engine
) -> None:
    admin = make_token("admin")
    content = (SAMPLES / "qpv2024_toulouse.geojson").read_bytes()
    status, body = upload(client, admin, "qpv.geojson", content, kind="qpv", generation="2024")
    assert status == 201, body
    assert body["status"] == "succeeded" and body["rows_imported"] > 0
    status, body = upload(client, admin, "qpv.geojson", content, kind="qpv", generation="2020")
    assert status == 422
    assert "2015" in body["detail"] and " ou " in body["detail"] and " or " not in body["detail"]


def test_a_killed_batch_never_shows_running(
    client: TestClient, make_token: Callable[[str], str], db: Engine
) -> None:
    with db.begin() as conn:  # what an importer killed with SIGKILL leaves: no lock holder
        batch_id = conn.execute(
            text(
                "INSERT INTO import_batch (kind, file_name, sha256, status, run_by, rows_read, "
                "rows_imported, rows_duplicate, rows_rejected, details) VALUES ('incidents', "
                "'x.csv', 'x', 'running', 'test', 0, 0, 0, 0, '{}') RETURNING id"
            )
        ).scalar_one()
    shown = client.get(f"/api/v1/imports/{batch_id}", headers=auth(make_token("admin"))).json()
    assert shown["status"] == "failed"
    assert "interrompu" in shown["message"]


# -- refused at the headers: a real server, a raw socket, no body sent ------------------------


@pytest.fixture
def server(settings: Settings, db: Engine) -> Iterator[tuple[str, int]]:
    from api.main import create_app

    with serving(create_app(settings), log_level="error") as port:
        yield "127.0.0.1", port


def headers_only(address: tuple[str, int], path: str, length: int, token: str | None) -> str:
    """Send a request's headers announcing a body of length bytes, never the body; the status
    line of the answer (the server must answer without waiting for the body)."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {address[0]}",
        "Content-Type: multipart/form-data; boundary=x",
        f"Content-Length: {length}",
    ]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    with socket.create_connection(address, timeout=10) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = conn.recv(4096).decode(errors="replace")
    return answer.split("\r\n", 1)[0]


def test_bodies_are_refused_at_the_headers(
    server: tuple[str, int], make_token: Callable[[str], str]
) -> None:
    big = 1_100_000_000  # 1.1 GB announced, never sent
    assert " 401 " in headers_only(server, "/api/v1/imports", big, None)
    assert " 401 " in headers_only(server, "/api/v1/imports", big, "obs_inconnu-0000")
    assert " 403 " in headers_only(server, "/api/v1/imports", big, make_token("analyst"))
    assert " 413 " in headers_only(server, "/api/v1/imports", big, make_token("admin"))
    assert " 401 " in headers_only(server, "/api/v1/actions", big, None)
    assert " 413 " in headers_only(server, "/api/v1/actions", big, make_token("admin"))


def test_a_json_body_beyond_its_limit_is_a_413_whatever_its_length_header_says(
    client: TestClient, make_token: Callable[[str], str]
) -> None:
    body = b'{"title": "' + b"x" * 2_000_000 + b'"}'
    answer = client.post(
        "/api/v1/actions",
        headers={**auth(make_token("admin")), "Content-Type": "application/json"},
        content=iter([body[:1000], body[1000:]]),  # chunked: no Content-Length
    )
    assert answer.status_code == 413
    assert "OBS_MAX_JSON_KB" in answer.json()["detail"]


# -- throttling: per (address, token prefix), proxies only when trusted ----------------------


@pytest.fixture
def throttled(database_url: str, db: Engine) -> Iterator[TestClient]:
    from api.main import create_app

    settings = api_settings(
        database_url, auth_failures_per_minute=3, trusted_proxies=["10.0.0.0/8"]
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def me(client: TestClient, token: str, forwarded: str | None = None) -> int:
    headers = auth(token)
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return client.get("/api/v1/me", headers=headers).status_code


def test_wrong_tokens_never_lock_out_a_valid_one_from_the_same_address(
    throttled: TestClient, make_token: Callable[[str], str]
) -> None:
    police, analyst = make_token("police"), make_token("analyst")
    guesses = [me(throttled, f"obs_guess{i:06d}") for i in range(10)]
    assert guesses[:3] == [401] * 3 and set(guesses[3:]) == {429}
    assert me(throttled, police) == 200  # ten wrong tokens from this address: still served
    # Someone guessing at the police token's secret is paused on that prefix only.
    wrong = police[:10] + "x" * 30
    assert [me(throttled, wrong) for _ in range(4)] == [401, 401, 401, 429]
    assert me(throttled, analyst) == 200
    assert me(throttled, police) == 200  # known to this process: nothing to guess


def test_a_forged_forwarded_for_does_not_reset_the_count(
    throttled: TestClient, make_token: Callable[[str], str]
) -> None:
    codes = [me(throttled, f"obs_guess{i:06d}", forwarded=f"203.0.113.{i}") for i in range(6)]
    assert codes == [401, 401, 401, 429, 429, 429]  # testclient is no trusted proxy


def test_a_trusted_proxy_gives_each_client_its_own_count() -> None:
    from api.clients import client_address, trusted_networks

    trusted = trusted_networks(["10.0.0.0/8", "192.0.2.1"])

    def scope(peer: str, forwarded: str | None) -> dict:
        headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
        return {"client": (peer, 1234), "headers": headers}

    assert client_address(scope("10.1.2.3", "203.0.113.9"), trusted) == "203.0.113.9"
    assert client_address(scope("10.1.2.3", "1.1.1.1, 203.0.113.9, 10.9.9.9"), trusted) == (
        "203.0.113.9"
    )  # the forged first hop is not believed: the proxies' last untrusted one is
    assert client_address(scope("198.51.100.7", "203.0.113.9"), trusted) == "198.51.100.7"
    assert client_address(scope("192.0.2.1", None), trusted) == "192.0.2.1"
    assert client_address(scope("10.1.2.3", "pas-une-adresse"), trusted) == "10.1.2.3"


# -- freshness: after a purge, no answer counts the deleted facts ----------------------------


def test_after_a_deletion_the_next_answers_and_the_pack_do_not_count_deleted_facts(
    client: TestClient, make_token: Callable[[str], str], db: Engine, tmp_path: Path
) -> None:
    admin = make_token("admin")
    content = (SAMPLES / "incidents_toulouse.csv").read_bytes()
    status, body = upload(client, admin, "faits.csv", content)
    assert status == 201, body
    summary = client.get("/api/v1/stats/summary", headers=auth(admin)).json()
    before = summary["total"]
    assert before > 100
    with db.begin() as conn:  # what a purge does (the trigger moves the data version)
        gone = conn.execute(
            text("DELETE FROM incident WHERE id IN (SELECT id FROM incident ORDER BY id LIMIT 50)")
        ).rowcount
    after = client.get("/api/v1/stats/summary", headers=auth(admin)).json()
    assert after["total"] == before - gone


def test_observatory_serve_believes_no_forwarded_for_by_default(
    database_url: str, db: Engine, tmp_path: Path
) -> None:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 unless told not to: a local client
    rotating it escaped the count of wrong tokens."""
    import httpx

    from tests.observatory.test_faults import served

    with served(database_url, tmp_path, OBS_AUTH_FAILURES_PER_MINUTE="3") as (base, _):
        codes = [
            httpx.get(
                f"{base}/api/v1/me",
                headers={**auth(f"obs_guess{i:06d}"), "X-Forwarded-For": f"203.0.113.{i}"},
            ).status_code
            for i in range(5)
        ]
    assert codes == [401, 401, 401, 429, 429]
