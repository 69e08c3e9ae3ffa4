"""The allow-list of imported files: what a file is, judged from its first bytes and its name.

Every importer (incidents, QPV, communes, état 4001; from the CLI and the API) opens a file only
through ``allowed_file``: it names one of the accepted types — CSV, Excel workbook (a zip that
holds the OOXML parts), GeoJSON, GeoPackage (an SQLite database that says it is one), Shapefile
(``.shp`` beside its ``.dbf``, or all of them zipped) — from the magic bytes, checks that the
extension agrees, and refuses the rest with a French reason: an XML file such as a GDAL virtual
dataset (VRT) named ``.geojson``, a GDAL virtual path (``/vsicurl/…``), a connection string or a
driver prefix (``PG:``, ``CSV:``), an old ``.xls``. Zipped files are measured before anything
unpacks them: total uncompressed size and compression ratio of their large members (a zip bomb's
ratio is in the hundreds or thousands). A zipped Shapefile is unpacked, its parts only, under
names chosen here, into a private folder.

As a second wall, the process's GDAL has only the drivers these types need, and no network
(observatory/gdalenv.py).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Collection, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from observatory.errors import InvalidInput, TooLarge

if TYPE_CHECKING:
    from observatory.settings import Settings

MB = 1 << 20
# A member smaller than this may compress as well as it likes (styles, an empty sheet).
RATIO_FROM_BYTES = 1 * MB
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
OOXML_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")
# Names GDAL would read as something other than a local file.
VIRTUAL_PATH = re.compile(r"^(/vsi|\\\\|[A-Za-z][A-Za-z0-9_ -]+:)")


class FileType(StrEnum):
    CSV = "CSV"
    XLSX = "Excel"
    GEOJSON = "GeoJSON"
    GPKG = "GeoPackage"
    SHAPEFILE = "Shapefile"


NOT_A = {
    FileType.CSV: "un fichier CSV (du texte)",
    FileType.XLSX: "un classeur Excel lisible (.xlsx)",
    FileType.GEOJSON: "un fichier GeoJSON",
    FileType.GPKG: "un GeoPackage",
    FileType.SHAPEFILE: "un Shapefile",
}


SUFFIXES = {
    FileType.CSV: (".csv", ".tsv", ".txt"),
    FileType.XLSX: (".xlsx", ".xlsm"),
    FileType.GEOJSON: (".geojson", ".json"),
    FileType.GPKG: (".gpkg",),
    FileType.SHAPEFILE: (".shp", ".zip"),
}
INCIDENT_TYPES = tuple(FileType)
BOUNDARY_TYPES = (FileType.GEOJSON, FileType.GPKG, FileType.SHAPEFILE)
ETAT4001_TYPES = (FileType.CSV, FileType.XLSX)


@dataclass(frozen=True)
class FileLimits:
    """What one imported file may hold (settings OBS_MAX_*)."""

    columns: int = 500
    cell_chars: int = 32_767
    rows: int = 2_000_000
    unzipped_bytes: int = 1024 * MB
    zip_ratio: int = 100

    @classmethod
    def of(cls, settings: Settings | None = None) -> FileLimits:
        if settings is None:
            from observatory.settings import get_settings

            settings = get_settings()
        return cls(
            columns=settings.max_columns,
            cell_chars=settings.max_cell_chars,
            rows=settings.max_rows,
            unzipped_bytes=settings.max_unzipped_mb * MB,
            zip_ratio=settings.max_zip_ratio,
        )


@dataclass(frozen=True)
class AllowedFile:
    """A file that passed the allow-list: its type and the local path to open."""

    type: FileType
    path: Path


def sheet_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
    """A workbook sheet's rows as values, as long as the cells written in the file: the sheet's
    declared dimension (A1:XFD1048576 costs nothing to write) is not believed, else every row
    of a read-only sheet comes padded to 16,384 cells."""
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    return sheet.iter_rows(values_only=True)


def fr_count(n: float) -> str:
    """A whole number as French writes it: 1 000 000 (narrow no-break spaces)."""
    return f"{int(n):,}".replace(",", "\u202f")


def describe(path: Path) -> str:
    return f"« {path.name} »"


@contextmanager
def allowed_file(
    path: Path, types: Collection[FileType], limits: FileLimits | None = None
) -> Iterator[AllowedFile]:
    """The file, if it is one of these types; else InvalidInput (TooLarge for a size) saying
    why. A zipped Shapefile is unpacked for the time of the block."""
    limits = limits or FileLimits.of()
    path = Path(path)
    if VIRTUAL_PATH.match(str(path)):
        raise InvalidInput(
            f"Chemin refusé : {str(path)[:80]!r} désigne une ressource virtuelle ou distante "
            "(préfixe /vsi…, « PG: », « CSV: »…) : donnez le chemin d'un fichier ordinaire."
        )
    path = path.absolute()  # "PG:x" in the current folder stays a file name for GDAL
    if not path.is_file():
        raise InvalidInput(f"Fichier introuvable : {path}")
    if path.stat().st_size == 0:
        raise InvalidInput(f"Le fichier {describe(path)} est vide.")
    found = _identify(path, types)
    if found is FileType.SHAPEFILE and path.suffix.lower() == ".zip":
        with _unpacked_shapefile(path, limits) as shp:
            yield AllowedFile(found, shp)
        return
    if found is FileType.XLSX:
        _check_zip(path, limits, describe(path))
    if found is FileType.GEOJSON:
        _check_geojson_crs(path)
    if found is FileType.GPKG:
        _check_geopackage(path)
    yield AllowedFile(found, path)


def _expected(types: Collection[FileType]) -> str:
    names = [f"{t.value} ({', '.join(SUFFIXES[t])})" for t in types]
    return ", ".join(names[:-1]) + " ou " + names[-1] if len(names) > 1 else names[0]


def _identify(path: Path, types: Collection[FileType]) -> FileType:
    suffix = path.suffix.lower()
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    by_suffix = [t for t in types if suffix in SUFFIXES[t]]
    if not by_suffix:
        hint = " : enregistrez-le en .xlsx ou en .csv" if suffix in (".xls", ".ods") else ""
        raise InvalidInput(
            f"Format non reconnu : {describe(path)}{hint} (attendu {_expected(types)})."
        )
    wanted = by_suffix[0]
    content = _content(head)
    if wanted is FileType.SHAPEFILE:
        ok = content == ("zip" if suffix == ".zip" else "shp")
    elif wanted is FileType.XLSX:
        ok = content == "zip"
    elif wanted is FileType.GPKG:
        ok = content == "sqlite" and head[68:72] in GPKG_APPLICATION_IDS
    elif wanted is FileType.GEOJSON:
        ok = content == "json"
    else:
        ok = content in ("json", "text")
    if not ok:
        raise InvalidInput(
            f"{describe(path)} n'est pas {NOT_A[wanted]} : {CONTENT_FR[content]}. "
            f"Fichiers acceptés : {_expected(types)}."
        )
    return wanted


CONTENT_FR = {
    "zip": "son contenu est une archive zip",
    "sqlite": "son contenu est une base SQLite qui ne se déclare pas GeoPackage",
    "shp": "son contenu est un Shapefile",
    "xml": "son contenu est du XML (un jeu de données virtuel GDAL « VRT », par exemple), "
    "format que l'observatoire ne lit jamais",
    "ole": "son contenu est un ancien classeur Excel (.xls) : enregistrez-le en .xlsx",
    "pdf": "son contenu est un PDF",
    "binary": "son contenu est binaire",
    "text": "son contenu est du texte",
    "json": "son contenu est du JSON",
}


def _content(head: bytes) -> str:
    """What the first bytes say the file is."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head.startswith(b"\x00\x00\x27\x0a"):
        return "shp"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its BOM: text
        return "text"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if text.startswith(b"<"):
        return "xml"
    # A stray NUL in an export is a row to reject, not a binary file: binary is NUL-heavy.
    if head.count(b"\x00") * 8 > len(head):
        return "binary"
    if text.startswith(b"{"):
        return "json"
    return "text"


CRS_KEY = re.compile(rb'"crs"\s*:\s*\{')
CRS_LINK = re.compile(rb'"type"\s*:\s*"(?:link|url)"|"href"\s*:', re.IGNORECASE)


def _check_geojson_crs(path: Path) -> None:
    """Refuse a GeoJSON whose coordinate system is a link: GDAL would fetch it (the network is
    closed to GDAL anyway, observatory/gdalenv.py: this says why to the person)."""
    overlap = b""
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            data = overlap + block
            for found in CRS_KEY.finditer(data):
                if CRS_LINK.search(data, found.end(), found.end() + 2000):
                    raise InvalidInput(
                        f"{describe(path)} donne son système de coordonnées par un lien (« crs » "
                        "de type link ou url) : l'observatoire ne suit aucun lien. Retirez ce "
                        "« crs » (WGS84 est alors supposé) ou donnez un nom, par exemple "
                        '« {"type": "name", "properties": {"name": "EPSG:2154"}} ».'
                    )
            overlap = data[-4096:]


def _check_geopackage(path: Path) -> None:
    """Every layer of the GeoPackage is a plain table: no SQL view (a recursive one makes rows,
    endlessly, that the file does not hold) and no virtual table. Read with SQLite itself,
    read-only, its schema only, with a bound on the work."""
    name = describe(path)
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)) as conn:
            conn.set_progress_handler(lambda: 1, 1_000_000)  # aborts a runaway statement
            schema = {
                row[0]: (row[1], (row[2] or "").lstrip().upper())
                for row in conn.execute("SELECT name, type, sql FROM sqlite_master")
            }
            if schema.get("gpkg_contents", ("",))[0] != "table":
                raise InvalidInput(f"{name} n'est pas un GeoPackage : table gpkg_contents absente.")
            layers = [row[0] for row in conn.execute("SELECT table_name FROM gpkg_contents")]
    except sqlite3.Error as exc:
        raise InvalidInput(f"{name} n'est pas un GeoPackage lisible (base SQLite abîmée).") from exc
    for layer in layers:
        kind, sql = schema.get(layer, ("", ""))
        if kind != "table" or sql.startswith("CREATE VIRTUAL"):
            what = {"table": "une table virtuelle", "view": "une vue SQL", "": "introuvable"}
            what = what.get(kind, kind)
            raise InvalidInput(
                f"{name} : la couche « {str(layer)[:80]} » est {what}, et non une table : "
                "exportez-la en table (dans QGIS : « Enregistrer sous… ») puis réessayez."
            )


def _check_zip(path: Path, limits: FileLimits, name: str) -> list[zipfile.ZipInfo]:
    """The members of a zip within the limits (sizes as the archive declares them; reading
    never goes past them, see _copy_member)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        what = "classeur Excel lisible" if path.suffix.lower() != ".zip" else "zip lisible"
        raise InvalidInput(
            f"{name} n'est pas un {what} : archive abîmée ou incomplète (copie inachevée ?)."
        ) from exc
    total = sum(m.file_size for m in members)
    if total > limits.unzipped_bytes:
        raise TooLarge(
            f"{name} fait {fr_count(total / MB)} Mo une fois décompressé : "
            f"{fr_count(limits.unzipped_bytes / MB)} Mo au plus (OBS_MAX_UNZIPPED_MB). Découpez le "
            "fichier (par année, par exemple)."
        )
    for member in members:
        if member.file_size >= RATIO_FROM_BYTES:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > limits.zip_ratio:
                raise TooLarge(
                    f"{name} : la partie « {member.filename[:80]} » se décompresse "
                    f"{fr_count(ratio)} fois (de {member.compress_size / MB:.1f} à "
                    f"{fr_count(member.file_size / MB)} Mo) ; {limits.zip_ratio} fois au plus "
                    "(OBS_MAX_ZIP_RATIO) : c'est la marque d'une « bombe zip ». "
                    "Réenregistrez le fichier depuis le tableur."
                )
    names = {m.filename for m in members}
    if path.suffix.lower() in SUFFIXES[FileType.XLSX] and not all(p in names for p in OOXML_PARTS):
        raise InvalidInput(
            f"{name} est une archive zip mais pas un classeur Excel : il y manque "
            f"{', '.join(p for p in OOXML_PARTS if p not in names)}."
        )
    return members


@contextmanager
def _unpacked_shapefile(path: Path, limits: FileLimits) -> Iterator[Path]:
    """The Shapefile parts of a zip, unpacked under names chosen here; the .shp to open."""
    name = describe(path)
    members = _check_zip(path, limits, name)
    shapes = [m for m in members if m.filename.lower().endswith(".shp") and not m.is_dir()]
    if len(shapes) != 1:
        raise InvalidInput(
            f"{name} doit contenir un seul Shapefile (un fichier .shp avec ses .dbf, .shx, "
            f".prj), il en contient {len(shapes)}."
        )
    stem = shapes[0].filename[: -len(".shp")]
    folder = Path(tempfile.mkdtemp(prefix="observatory-shapefile-"))
    try:
        with zipfile.ZipFile(path) as archive:
            for member in members:
                suffix = member.filename[len(stem) :].lower()
                if member.filename[: len(stem)] == stem and suffix in SHAPEFILE_PARTS:
                    _copy_member(archive, member, folder / f"couche{suffix}")
        shp = folder / "couche.shp"
        with open(shp, "rb") as handle:
            if _content(handle.read(4)) != "shp":
                raise InvalidInput(f"{name} : le fichier .shp n'est pas un Shapefile.")
        if not (folder / "couche.dbf").is_file():
            raise InvalidInput(f"{name} : il manque le fichier .dbf du Shapefile.")
        yield shp
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _copy_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> None:
    """Unpack one member, never more bytes than the archive declared for it."""
    left = member.file_size
    with archive.open(member) as source, open(target, "wb") as out:
        while left > 0 and (block := source.read(min(MB, left))):
            out.write(block)
            left -= len(block)
