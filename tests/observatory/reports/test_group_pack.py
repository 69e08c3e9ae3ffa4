"""A pack of several communes together (Blagnac and Colomiers, the demo's synthetic facts): their
facts only, their comparison table, a group's title; through the API a caller's scope bounds it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ingest.boundaries import import_communes
from ingest.incidents import import_incidents
from observatory.db import make_sessionmaker
from observatory.errors import InvalidInput
from observatory.reports import make_request, pack_figures, render_pack
from observatory.reports.model import PackFigures
from observatory.settings import Settings
from observatory.tokens import create_token
from tests.conftest import _truncate_all, api_settings, auth, run_cli
from tests.samples import SAMPLES, load_boundaries

NEIGHBOURS = SAMPLES / "incidents_voisines_toulouse.csv"
TOGETHER = ("31069", "31149")


@pytest.fixture(scope="module")
def loaded(engine: Engine, database_url: str) -> Iterator[Settings]:
    """Toulouse's outline and QPV, its three neighbours with their populations, and the
    neighbours' 1,500 facts; and a few in Toulouse, which no pack of the two may count."""
    settings = api_settings(database_url)
    _truncate_all(engine)
    load_boundaries(engine)
    import_communes(
        engine,
        SAMPLES / "communes_voisines_toulouse.geojson",
        population=SAMPLES / "populations_haute_garonne.csv",
    )
    assert import_incidents(engine, NEIGHBOURS, settings=settings).rows_imported == 1500
    yield settings
    _truncate_all(engine)


def reference_2025() -> pd.Series:
    """The neighbours' facts of 2025 per commune, by pandas from the file."""
    frame = pd.read_csv(NEIGHBOURS, sep=";", dtype=str)
    return frame[frame.date_faits.str.endswith("/2025")].groupby("code_insee").size()


def figures_of(
    engine: Engine, settings: Settings, format: str, partner: bool = False
) -> PackFigures:
    from observatory.store.incidents import IncidentStore

    request = make_request(
        None, "2025-01", "2025-12", communes=TOGETHER, format=format, partner=partner
    )
    snapshot = IncidentStore(engine, settings.timezone).snapshot()
    return pack_figures(engine, snapshot, request, settings)


def test_the_pack_of_two_communes_counts_their_facts_and_compares_them(
    loaded: Settings, engine: Engine
) -> None:
    figures = figures_of(engine, loaded, format="html")
    counts = reference_2025()
    assert figures.request.group and figures.request.codes == TOGETHER
    assert figures.commune.name == "Blagnac et Colomiers"
    assert figures.total.current == int(counts.sum())
    assert figures.territories.whole.count == int(counts.sum())
    comparison = figures.comparison
    assert comparison is not None
    assert [r.code for r in comparison.rows] == list(TOGETHER)
    assert [r.count for r in comparison.rows] == [int(counts[c]) for c in TOGETHER]
    assert comparison.total.count == int(counts.sum())
    # 2024 is the previous period of equal length, and the file covers it.
    assert comparison.period is not None and comparison.period.comparable
    html = render_pack(figures).decode("utf-8")
    assert "Comparaison des communes" in html and "Blagnac et Colomiers" in html
    assert html.index("Comparaison des communes") < html.index("Carte des faits par hexagone")
    assert "ses chiffres sont dans le pack de chaque commune" in html
    # The sections about the communes together say so, in the contents and the headings.
    assert html.count("QPV et reste des communes") == 2
    assert html.count("État 4001 des services des communes") == 2
    assert "reste de la commune<" not in html and "services de la commune<" not in html
    assert figures.request.filename() == "pack-clspd-31069-31149-2025-01-2025-12.html"


def test_a_named_group_titles_the_pack_and_the_pdf_renders(
    loaded: Settings, engine: Engine, tmp_path: Path
) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO commune_group (name, label, communes) "
                "VALUES ('cispd-ouest', 'CISPD de l''ouest toulousain', :codes)"
            ),
            {"codes": list(TOGETHER)},
        )
    try:
        figures = figures_of(engine, loaded, format="pdf", partner=True)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM commune_group"))
    assert figures.commune.name == "CISPD de l'ouest toulousain"
    assert figures.comparison is not None
    assert all(r.change.z is None for r in figures.comparison.rows)  # a partner: no z
    pdf = render_pack(figures)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    words = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Comparaison des communes" in words and "Colomiers" in words
    assert "QPV et reste des communes" in words and "QPV et reste de la commune" not in words


def test_commune_and_communes_exclude_each_other() -> None:
    with pytest.raises(InvalidInput, match="s'excluent"):
        make_request("31555", "2025-01", "2025-12", communes=TOGETHER)
    one = make_request(None, "2025-01", "2025-12", communes=["31069"])
    assert not one.group and one.commune == "31069"


def test_the_api_bounds_the_pack_by_the_callers_scope(loaded: Settings, engine: Engine) -> None:
    from api.main import create_app

    with make_sessionmaker(engine).begin() as session:
        scoped = create_token(
            session, "cispd", "analyst", loaded.secret_key, communes=frozenset(TOGETHER)
        )
    period = {"from": "2025-01", "to": "2025-01", "format": "html"}
    with TestClient(create_app(loaded), raise_server_exceptions=False) as client:
        answer = client.get(
            "/api/v1/reports/pack", params={**period, "communes": "perimetre"}, headers=auth(scoped)
        )
        assert answer.status_code == 200, answer.text
        assert (
            "pack-clspd-31069-31149-2025-01-2025-01.html" in answer.headers["content-disposition"]
        )
        assert "Comparaison des communes" in answer.text
        refused = client.get(
            "/api/v1/reports/pack",
            params={**period, "communes": "31069,31555"},
            headers=auth(scoped),
        )
        assert refused.status_code == 403
        assert "31555" in refused.json()["detail"]
        both = client.get(
            "/api/v1/reports/pack",
            params={**period, "commune": "31069", "communes": "31149"},
            headers=auth(scoped),
        )
        assert both.status_code == 422 and "s'excluent" in both.json()["detail"]


def test_the_cli_writes_a_pack_of_several_communes(
    loaded: Settings, database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "pack.html"
    period = ["--from", "2025-06", "--to", "2025-06", "--out", str(out)]
    done = run_cli(["report", "--communes", "31069,31149", *period], OBS_DATABASE_URL=database_url)
    assert done.returncode == 0, done.stderr
    assert "communes 31069, 31149" in done.stdout
    assert "Comparaison des communes" in out.read_text(encoding="utf-8")
