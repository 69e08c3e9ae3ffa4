"""The analyst notebooks of notebooks/, executed against the API and the test database.

The samples are loaded once; the API runs under uvicorn on a free port of 127.0.0.1, and each
notebook gets its address and an analyst's token through OBS_API_URL and OBS_API_TOKEN (and the
database through DATABASE_URL). A notebook fails the test by raising: they assert what they
compare (esda to 1e-9, for instance). Outputs are never written back: the notebooks stay cleared.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from sqlalchemy import Engine

from observatory.db import make_sessionmaker
from observatory.settings import PROJECT_ROOT
from tests.conftest import _truncate_all
from tests.observatory.reports.test_reports import load_samples, pack_settings
from tests.servers import serving

NOTEBOOKS = PROJECT_ROOT / "notebooks"
CELL_TIMEOUT = 120


@pytest.fixture(scope="module")
def served(engine: Engine, database_url: str) -> Iterator[dict[str, str]]:
    """The samples loaded and the API served: the notebooks' environment."""
    from api.main import create_app
    from observatory.tokens import create_token

    settings = pack_settings(database_url)
    _truncate_all(engine)
    load_samples(engine, settings)
    with make_sessionmaker(engine).begin() as session:
        token = create_token(session, "carnets", "analyst", settings.secret_key)
    try:
        with serving(create_app(settings), name="notebooks-uvicorn") as port:
            yield {
                "OBS_API_URL": f"http://127.0.0.1:{port}",
                "OBS_API_TOKEN": token,
                "DATABASE_URL": database_url,
                "OBS_COMMUNE": "31555",
                "MPLBACKEND": "Agg",
            }
    finally:
        _truncate_all(engine)


def test_the_three_notebooks_are_there_and_cleared() -> None:
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))

    assert names == [
        "01_api_httpx_geopandas.ipynb",
        "02_points_chauds_esda.ipynb",
        "03_etat4001_tableau_de_bord.ipynb",
    ]
    for name in names:
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(notebook)
        assert notebook.metadata["kernelspec"]["name"] == "python3"
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), name
        assert notebook.cells[0].cell_type == "markdown"


@pytest.mark.parametrize(
    ("name", "says"),
    [
        (
            "01_api_httpx_geopandas.ipynb",
            ("15105 faits du 2025-01-01 au 2025-12-31", "pack-clspd-31555-2025-01-2025-12.html"),
        ),
        (
            "02_points_chauds_esda.ipynb",
            (
                "z et p égaux à esda à 1e-9 près",
                "L'API donne les mêmes z",
                "Mann–Kendall égal à pymannkendall",
            ),
        ),
        ("03_etat4001_tableau_de_bord.ipynb", ("points des séries en sont bien la somme",)),
    ],
)
def test_notebook_runs_against_the_test_database(
    served: dict[str, str], monkeypatch: pytest.MonkeyPatch, name: str, says: tuple[str, ...]
) -> None:
    for key, value in served.items():
        monkeypatch.setenv(key, value)  # the kernel inherits this process's environment
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    started = time.monotonic()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{name} : une cellule a échoué.\n{exc}", pytrace=False)
    elapsed = time.monotonic() - started

    texts = [
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "stream"
    ]
    printed = "".join(texts)
    for words in says:
        assert words in printed, printed
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    assert elapsed < 60, f"{name} : {elapsed:.0f} s"
