"""The allow-list of imported files (ingest/filetypes.py) and GDAL's second wall, attacked with
small hostile files made here: a VRT named .geojson, virtual paths, driver prefixes, zip bombs,
disguised databases, a million columns, endless cells."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest

from ingest.boundaries.vectors import read_boundaries
from ingest.filetypes import (
    BOUNDARY_TYPES,
    INCIDENT_TYPES,
    FileLimits,
    FileType,
    allowed_file,
)
from ingest.incidents.mapping import Mapping
from ingest.incidents.reading import read_table
from observatory.errors import InvalidInput, TooLarge
from tests.samples import SAMPLES
from tests.servers import recording_server


def vrt(target: str) -> bytes:
    """A GDAL virtual dataset that reads another file (or URL) as a CSV layer."""
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{target}</SrcDataSource>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def xlsx_bomb(rows: int) -> bytes:
    """A workbook whose one sheet repeats a row: kilobytes zipped, megabytes unzipped."""
    row = b'<row><c t="inlineStr"><is><t>vol</t></is></c></row>'
    sheet = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    sheet += b"<sheetData>" + row * rows + b"</sheetData></worksheet>"
    return zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": sheet,
        }
    )


@pytest.mark.parametrize("name", ["communes.geojson", "faits.json", "faits.csv"])
def test_a_vrt_under_any_name_is_never_opened(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(vrt("/etc/passwd"))
    with pytest.raises(InvalidInput, match="XML"):
        list(read_table(path, Mapping()))
    if not name.endswith(".csv"):
        with pytest.raises(InvalidInput, match="XML"):
            read_boundaries(path)


@pytest.mark.parametrize(
    "given",
    [
        "/vsicurl/http://127.0.0.1:9/x.geojson",
        "/vsizip//tmp/x.zip/a.shp",
        "CSV:/etc/passwd",
        "PG:dbname=observatory",
        "GPKG:/tmp/x.gpkg:layer",
    ],
)
def test_virtual_paths_and_driver_prefixes_are_refused(given: str) -> None:
    with pytest.raises(InvalidInput, match="virtuelle ou distante"):
        list(read_table(Path(given), Mapping()))
    with pytest.raises(InvalidInput, match="virtuelle ou distante"):
        read_boundaries(Path(given))


def test_a_file_named_like_a_prefix_in_the_current_folder_is_a_plain_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "faits.csv").write_text("date;nature\n2024-01-01;vol\n")
    found = []
    with allowed_file(Path("faits.csv"), INCIDENT_TYPES) as allowed:
        found.append(allowed)
    assert found[0].path == tmp_path / "faits.csv"
    assert found[0].type is FileType.CSV


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A local server that records every request it gets."""
    with recording_server(b'{"type":"FeatureCollection","features":[]}') as server:
        yield server


def test_gdal_in_this_process_fetches_nothing_and_has_no_virtual_drivers(
    http_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, seen = http_server
    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_info(f"/vsicurl/{url}/x.geojson")
    assert seen == []
    drivers = pyogrio.list_drivers()
    assert {"GeoJSON", "GPKG", "ESRI Shapefile"} <= set(drivers)
    assert not {"OGR_VRT", "GPSBabel", "WFS", "OAPIF", "HTTP", "SQLite", "GML"} & set(drivers)
    # Even a VRT given straight to GDAL (past the allow-list) reads nothing.
    path = tmp_path / "x.vrt"
    path.write_bytes(vrt("/etc/passwd"))
    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_dataframe(path)


def test_a_zip_bomb_workbook_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "bombe.xlsx"
    path.write_bytes(xlsx_bomb(200_000))  # ~10 MB of XML
    assert path.stat().st_size < 100_000
    with pytest.raises(TooLarge, match="bombe zip"):
        list(read_table(path, Mapping()))
    small = FileLimits(unzipped_bytes=1 << 20, zip_ratio=10_000)
    with pytest.raises(TooLarge, match="OBS_MAX_UNZIPPED_MB"):
        list(read_table(path, Mapping(), limits=small))


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "faits.xlsx"
    path.write_bytes(zip_bytes({"a.txt": b"bonjour"}))
    with pytest.raises(InvalidInput, match=r"xl/workbook\.xml"):
        list(read_table(path, Mapping()))


def test_a_sqlite_database_is_not_a_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "contours.gpkg"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(InvalidInput, match="ne se déclare pas GeoPackage"):
        read_boundaries(path)


def test_a_zipped_shapefile_is_read_and_its_names_never_leave_the_folder(
    tmp_path: Path,
) -> None:
    import geopandas as gpd

    frame = gpd.read_file(SAMPLES / "communes_toulouse.geojson")
    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "communes.shp")
    members = {f"../../evil/communes{p.suffix}": p.read_bytes() for p in folder.iterdir()}
    members["../../evil/autre.txt"] = b"x"
    archive = tmp_path / "communes.zip"
    archive.write_bytes(zip_bytes(members))
    got = read_boundaries(archive)
    assert len(got) == len(frame)
    assert not (tmp_path.parent / "evil").exists()
    two = tmp_path / "deux.zip"
    two.write_bytes(zip_bytes({"a.shp": b"\x00\x00\x27\x0a", "b.shp": b"\x00\x00\x27\x0a"}))
    with pytest.raises(InvalidInput, match="un seul Shapefile"):
        read_boundaries(two)


def test_the_allow_lists_differ_by_importer(tmp_path: Path) -> None:
    path = tmp_path / "faits.csv"
    path.write_text("a;b\n1;2\n")
    refused = pytest.raises(InvalidInput, match="Format non reconnu")
    with refused, allowed_file(path, BOUNDARY_TYPES):
        pass


def test_a_million_columns_are_refused_before_any_record_is_split(tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    path.write_bytes(b"date;nature\n2024-01-01;vol" + b";" * 1_000_000 + b"\n")
    with pytest.raises(InvalidInput, match="1\u202f000\u202f002 colonnes : 500 au plus"):
        list(read_table(path, Mapping()))
    header = tmp_path / "entete.csv"
    header.write_bytes(b";".join(b"c%d" % i for i in range(600)) + b"\n" + b"1\n")
    with pytest.raises(InvalidInput, match="600 colonnes"):
        list(read_table(header, Mapping()))


def test_an_endless_cell_is_refused_with_its_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "faits.csv"
    path.write_text("date;nature\n2024-01-01;vol\n2024-01-02;" + "x" * 40_000 + "\n")
    with pytest.raises(InvalidInput, match=r"ligne 3, colonne « nature » .*40\u202f000 caractères"):
        list(read_table(path, Mapping()))


def test_rows_beyond_the_limit_are_refused_as_too_large(tmp_path: Path) -> None:
    path = tmp_path / "faits.csv"
    path.write_text("date;nature\n" + "2024-01-01;vol\n" * 30)
    with pytest.raises(TooLarge, match="plus de 20 lignes"):
        list(read_table(path, Mapping(), chunk_size=7, limits=FileLimits(rows=20)))
    assert sum(len(c) for c in read_table(path, Mapping(), limits=FileLimits(rows=30))) == 30


def test_population_files_go_through_the_allow_list(tmp_path: Path) -> None:
    from ingest.boundaries.populations import read_insee_populations

    path = tmp_path / "populations.csv"
    path.write_bytes(xlsx_bomb(10))  # a workbook named .csv
    with pytest.raises(InvalidInput, match="archive zip"):
        read_insee_populations(path)
    wide = tmp_path / "large.csv"
    wide.write_text(";" * 600 + "\n")
    with pytest.raises(InvalidInput, match="OBS_MAX_COLUMNS"):
        read_insee_populations(wide)
