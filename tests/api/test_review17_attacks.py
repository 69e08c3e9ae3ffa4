"""Review of issue 17's defences (review 17): the attacks that still worked, each written as the
safe behaviour it should have. Every test here failed on the code as reviewed (commit adf4a47)
and passes since the fixes.

1. A GeoJSON whose ``crs`` is a ``link`` (or ``URL``) makes GDAL fetch that URL: the upload
   passes the magic-byte allow-list (it is a JSON object) and GDAL's "no network" settings only
   cover /vsicurl/, not OGRSpatialReference::importFromUrl (blind SSRF from the server).
2. A 16 KB workbook whose sheet declares ``<dimension ref="A1:XFD…"/>``: openpyxl (read-only)
   pads every row to 16,384 cells, which the reader keeps: a gigabyte per 2,000 rows.
3. A 100 KB GeoPackage whose layer is an SQL view (recursive CTE, ``printf``): rows and cells
   that the file does not hold, computed by SQLite (memory), or never ending (an import that
   hangs for ever). Neither the upload size nor the zip ratio sees it.
4. The offline CLSPD pack (HTML) shows QPV names in folium tooltips through ``innerHTML``:
   markup stored in a QPV name runs in the reader's browser.
5. Someone who knows a token's visible prefix (``observatory token list``, the token page)
   and shares its address (same NAT, or a proxy not in OBS_TRUSTED_PROXIES) pauses that valid
   token with 429 whenever the process's token cache is empty (restart, any token created or
   revoked), although docs/guide/securite.md says a valid token is never paused.
6. The count of wrong tokens never forgets a key it saw once: past 10,000 keys each failure
   walks them all under a lock, and the memory grows without bound.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from observatory.settings import PROJECT_ROOT
from tests.conftest import api_settings, auth
from tests.servers import recording_server

# -- helpers -------------------------------------------------------------------------------


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A local server that records every request it gets (answers an SRS in ESRI WKT)."""
    with recording_server(
        b'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
        b'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]'
    ) as server:
        yield server


def upload(client: TestClient, token: str, name: str, content: bytes, **form: str) -> int:
    answer = client.post(
        "/api/v1/imports", headers=auth(token), files={"file": (name, content)}, data=form
    )
    return answer.status_code


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def workbook(sheet: str) -> bytes:
    """A minimal valid .xlsx whose only sheet is this XML."""
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    book_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="rels" ContentType="application'
            '/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            f'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
            f'{book_type}"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
            f'{sheet_type}"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship '
            f'Id="rId1" Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} xmlns:r="{OFFICE}"><sheets>'
            '<sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship '
            f'Id="rId1" Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def wide_dimension_workbook(rows: int) -> bytes:
    """Two real columns, but the sheet says it spans A1:XFD<rows> (16,384 columns)."""
    head = f'<row r="1">{_cell("A1", "date")}{_cell("B1", "nature")}</row>'
    body = "".join(
        f'<row r="{i}">{_cell(f"A{i}", "2024-01-01")}{_cell(f"B{i}", "vol")}</row>'
        for i in range(2, rows + 2)
    )
    return workbook(
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><dimension ref="A1:XFD'
        f'{rows + 1}"/><sheetData>{head}{body}</sheetData></worksheet>'
    )


def view_geopackage(path: Path, rows: int | None, width: int) -> None:
    """A GeoPackage whose only feature layer is a view: rows computed by a recursive CTE
    (endless when rows is None), each with a cell of width characters made by printf."""
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame({"nature": ["vol"]}, geometry=[shapely.Point(1.44, 43.6)], crs=4326)
    frame.to_file(path, layer="base", engine="pyogrio")
    limit = f"LIMIT {rows}" if rows else ""
    con = sqlite3.connect(path)
    con.executescript(
        f"""
        CREATE VIEW faits AS
          WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c {limit})
          SELECT n AS fid, (SELECT geom FROM base) AS geom, '2024-01-01' AS date,
                 printf('%.*c', {width}, 'x') AS nature FROM c;
        INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
          VALUES ('faits', 'features', 'faits', 4326);
        INSERT INTO gpkg_geometry_columns VALUES ('faits', 'geom', 'POINT', 4326, 0, 0);
        DELETE FROM gpkg_geometry_columns WHERE table_name = 'base';
        DELETE FROM gpkg_contents WHERE table_name = 'base';
        """
    )
    con.commit()
    con.close()


# What the API's import does with the uploaded file (api/routers/imports.py _import), in a
# fresh process so that its peak memory can be read: the outcome and the peak RSS increase.
IMPORT_SCRIPT = r"""
import json, resource, sys
from pathlib import Path
from observatory.errors import InvalidInput
from observatory.db import make_engine
from tests.conftest import api_settings
kind, path, url = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
settings = api_settings(url)
engine = make_engine(settings.sqlalchemy_url)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    if kind == "incidents":
        from ingest.incidents import import_incidents
        summary = import_incidents(engine, path, settings=settings, run_by="review17")
    else:
        from ingest.boundaries import import_qpv
        summary = import_qpv(engine, path, generation=2024, run_by="review17")
    outcome = "imported"
except InvalidInput as exc:
    outcome = "refused: " + str(exc)[:200]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"outcome": outcome, "peak_mb": peak // 1024}))
"""


def run_import(kind: str, path: Path, database_url: str, timeout: float) -> dict:
    """The import in a child process; {"outcome": "timeout"} when it runs past timeout."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", IMPORT_SCRIPT, kind, str(path), database_url],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=PROJECT_ROOT,
        )
    except subprocess.TimeoutExpired:
        return {"outcome": "timeout", "peak_mb": None}
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- 1. GeoJSON crs link: the server fetches a URL -------------------------------------------


@pytest.mark.parametrize("kind", ["incidents", "qpv"])
def test_a_geojson_crs_link_makes_the_server_fetch_nothing(
    client: TestClient,
    make_token: Callable[[str], str],
    db: Engine,
    http_server: tuple[str, list[str]],
    kind: str,
) -> None:
    """Attack: an admin (or anyone whose file an admin imports: a QPV outline downloaded from
    elsewhere) uploads a GeoJSON whose old-style ``"crs": {"type": "link", "properties":
    {"href": "http://…"}}`` (or ``"type": "URL"``) names a URL. The file is a JSON object, so
    the allow-list opens it; GDAL's GeoJSON driver then calls importFromUrl, an HTTP GET that
    neither GDAL_SKIP nor CPL_VSIL_CURL_ALLOWED_EXTENSIONS (which only govern /vsicurl/)
    stop: a blind SSRF to any host the server reaches (cloud metadata, intranet), and an import
    that waits on a slow answer. Fix: refuse (or strip) a GeoJSON ``crs`` of type link/URL
    before GDAL reads it, or set GDAL's CPL_CURL / GDAL_HTTP_* so that no fetch can happen
    (e.g. GDAL_HTTP_PROXY to a dead address, or build without curl)."""
    url, seen = http_server
    feature = {
        "type": "Feature",
        "properties": {"date": "2024-01-01", "nature": "vol", "code_qp": "QN03107M"},
        "geometry": {"type": "Point", "coordinates": [1.44, 43.6]},
    }
    for crs in (
        {"type": "link", "properties": {"href": f"{url}/link.prj", "type": "esriwkt"}},
        {"type": "URL", "properties": {"url": f"{url}/url.prj"}},
    ):
        content = json.dumps({"type": "FeatureCollection", "crs": crs, "features": [feature]})
        upload(client, make_token("admin"), "contours.geojson", content.encode(), kind=kind)
    assert seen == [], f"the server fetched {seen}"


# -- 2. XLSX with a wide <dimension>: a gigabyte from 16 KB -----------------------------------


def test_a_workbook_declaring_a_wide_dimension_does_not_blow_up_memory(
    database_url: str, db: Engine, tmp_path: Path
) -> None:
    """Attack: a valid 16 KB workbook, 2,000 rows of two cells, whose sheet declares
    ``<dimension ref="A1:XFD2001"/>``. openpyxl in read-only mode takes max_column from that
    element and pads every row to 16,384 values; ingest/incidents/reading.py ``_xlsx_chunks``
    lets such rows through (``filled_length`` is 2, under OBS_MAX_COLUMNS) and keeps each padded
    list until a chunk of 100,000 rows is full, then builds a 16,384-column DataFrame. Measured:
    1.2 GB peak for 16 KB; 100,000 rows (a ~0.5 MB file) would need ~60 GB. Variant: the far row
    ``r="1048576"`` with the same dimension costs 10⁶ × 16,384 cell conversions (≈10 min of CPU)
    for a 1.5 KB file. The zip checks see nothing (ratio and size are small). Fix: ignore the
    declared dimension (``ws.reset_dimensions()`` before iter_rows, or ``max_col`` bounded by
    OBS_MAX_COLUMNS), trim each row to its filled length, and count skipped empty rows."""
    path = tmp_path / "faits.xlsx"
    path.write_bytes(wide_dimension_workbook(2000))
    assert path.stat().st_size < 20_000
    result = run_import("incidents", path, database_url, timeout=40)
    assert result["outcome"] != "timeout"
    assert result["peak_mb"] < 300, result  # imported or refused, within a sane budget


# -- 3. GeoPackage views: rows the file does not hold -------------------------------------


def test_a_geopackage_view_cannot_make_rows_the_file_does_not_hold(
    database_url: str, db: Engine, tmp_path: Path
) -> None:
    """Attack: a 100 KB GeoPackage whose feature layer (gpkg_contents) is a VIEW: a recursive
    CTE makes 5,000 rows, each with a 30,000-character cell from printf (under
    OBS_MAX_CELL_CHARS). GDAL reads views as layers; the incident reader takes a batch of
    100,000 rows before checking anything: 1.35 GB peak measured for 10,000 such rows from
    98 KB, and 100,000 rows would be ~13 GB. No upload size, zip ratio or column limit sees
    it. Fix: refuse a GeoPackage whose layers are not plain tables (``sqlite_master`` type
    'view', virtual tables) in ingest/filetypes.py."""
    path = tmp_path / "faits.gpkg"
    view_geopackage(path, rows=5_000, width=30_000)
    assert path.stat().st_size < 200_000
    result = run_import("incidents", path, database_url, timeout=40)
    assert result["outcome"] != "timeout"
    assert result["peak_mb"] < 300, result  # imported or refused, within a sane budget


def test_an_endless_geopackage_view_does_not_hang_a_qpv_import(
    database_url: str, db: Engine, tmp_path: Path
) -> None:
    """Attack: the same GeoPackage with an endless recursive view, imported as QPV outlines.
    ingest/boundaries/vectors.py asks ``read_info`` for the feature count before the
    OBS_MAX_ROWS check: SQLite counts for ever. Through the API the thread never ends, the batch
    stays « running » and its CPU is lost until the process restarts. Fix: as above (no views),
    or a progress handler / time budget on the SQLite reads."""
    path = tmp_path / "qpv.gpkg"
    view_geopackage(path, rows=None, width=10)
    result = run_import("qpv", path, database_url, timeout=20)
    assert result["outcome"].startswith("refused"), result


# -- 4. The offline pack runs markup stored in a QPV name ------------------------------------


def test_the_offline_pack_shows_qpv_names_as_text(
    database_url: str, db: Engine, make_token: Callable[[str], str], tmp_path: Path
) -> None:
    """Attack: a QPV outline file whose name holds markup (``<img src=x onerror=…>``), imported
    by an admin; anyone then asks for the offline HTML pack of the commune (GET
    /api/v1/reports/pack?format=html). The page is downloaded (attachment) and opened from disk,
    with no CSP; folium's GeoJsonTooltip builds its table with template strings and
    ``div.innerHTML`` without escaping: hovering a QPV outline runs the stored script, which can
    send the restricted figures of the pack anywhere. docs/guide/securite.md says « le dossier du
    CLSPD échappe de même »; tests/e2e/test_stored_markup.py checks the live map only. Fix: escape
    the properties given to folium (html.escape on "nom" and "code"), or give folium's tooltips a
    text-only template; add the pack to the stored-markup tests."""
    from api.main import create_app
    from tests.samples import load_samples

    settings = api_settings(database_url)
    load_samples(db, settings)
    with db.begin() as conn:
        conn.execute(text("UPDATE qpv SET name = '<img src=x onerror=window.__xss=1>' || name"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = client.get(
            "/api/v1/reports/pack",
            params={"commune": "31555", "from": "2025-01", "to": "2025-12", "format": "html"},
            headers=auth(make_token("analyst")),
        )
    assert answer.status_code == 200, answer.text[:300]
    page = tmp_path / "pack.html"
    page.write_text(answer.text)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(chromium).exists():  # the static sign: the name reaches the tooltip raw
        assert "innerHTML=table" not in answer.text or "\\u003cimg src=x" not in answer.text
        return
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        try:
            tab = browser.new_page()
            tab.goto(page.as_uri())
            outlines = tab.locator("path.leaflet-interactive")
            ran = False
            for i in range(min(outlines.count(), 400)):
                try:
                    outlines.nth(i).hover(timeout=300, force=True)
                except Exception:  # noqa: S112 - hidden or covered outline
                    continue
                if tab.evaluate("window.__xss === 1"):
                    ran = True
                    break
        finally:
            browser.close()
    assert not ran, "a QPV name's markup ran in the offline pack"


# -- 5. A known prefix pauses a valid token -------------------------------------------------


def test_a_valid_token_is_not_paused_by_wrong_tokens_with_its_prefix(
    database_url: str, db: Engine, make_token: Callable[[str], str]
) -> None:
    """Attack: someone who knows the police token's visible prefix (« obs_ » and six
    characters: ``observatory token list``, GET /api/v1/tokens for an admin, screenshots, logs) and
    shares its address (a town hall's NAT; any proxy not listed in OBS_TRUSTED_PROXIES, the default
    of docs/guide/exploitation.md) sends OBS_AUTH_FAILURES_PER_MINUTE wrong tokens with that prefix,
    once a minute. The valid token escapes the pause only while it sits in the process's TokenCache;
    the cache is emptied whenever any token is created or revoked, and is empty after a restart and
    in every other worker: the valid token then gets 429 (api/deps.py ``authenticate`` checks the
    pause before ``find_token``). docs/guide/securite.md says « un jeton valide n'est jamais bloqué
    ». Fix: look the token up (find_token) before applying the pause, and pause only the failures (a
    valid token costs no guess)."""
    from api.main import create_app

    settings = api_settings(database_url, auth_failures_per_minute=3)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        police = make_token("police")

        def me(token: str) -> int:
            return client.get("/api/v1/me", headers=auth(token)).status_code

        assert me(police) == 200
        wrong = police[:10] + "x" * 33
        assert [me(wrong) for _ in range(4)] == [401, 401, 401, 429]
        assert me(police) == 200  # in the process's cache: passes
        make_token("analyst")  # any token created or revoked empties that cache
        assert me(police) == 200


# -- 6. The wrong-token count never forgets ------------------------------------------------


def test_the_wrong_token_count_forgets_quiet_keys(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: wrong tokens from many addresses (an IPv6 /64 gives 2⁶⁴; behind a trusted
    proxy each X-Forwarded-For hop the proxy appends), one each. api/security.py
    ``FailedSignIns.record`` forgets, past 10,000 keys, only the keys whose deque is empty,
    but a key's old times are dropped only when that same key is seen again: a key seen once
    is kept for ever. Memory grows without bound, and every later failure walks all the keys
    under the lock that every sign-in takes. Fix: prune by age (drop keys whose newest time is
    older than the window), e.g. an OrderedDict by last failure, with a hard cap."""
    import api.security as security

    failures = client.app.state.auth_failures  # type: ignore[attr-defined]
    now = [1000.0]
    monkeypatch.setattr(security.time, "monotonic", lambda: now[0])
    for i in range(20_000):
        failures.record((f"2001:db8::{i:x}", "?"))
    now[0] += 10 * security.WINDOW_SECONDS  # ten minutes later, all of them are quiet
    failures.record(("2001:db8::1:0", "?"))
    assert len(failures) <= 10_001  # bounded, whatever the pruning
