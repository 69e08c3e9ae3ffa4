"""A seeded extract of the BAN (« adresses-31.csv.gz ») over real communes, in its official layout.

No real BAN file is reachable from the development machines: the geocoder is built and measured
on this one. Streets with French names (« Rue de la République », « Place du Capitole »,
« Chemin des Étangs », lieux-dits), odd numbers on one side and even on the other, some bis and
ter, each point inside its real commune; Lambert-93 ``x;y`` projected from the WGS84 ``lon;lat``
written. The rows are the truth the geocoder is measured against.

    python -m benchmarks.synthetic.ban --seed 19 --addresses 3000 \\
        --out data/samples/adresses-31-extrait.csv.gz
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from benchmarks.synthetic import ban_names as names
from observatory.geocoder.ban import BAN_COLUMNS

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
DEFAULT_COMMUNES = (
    SAMPLES / "communes_toulouse.geojson",
    SAMPLES / "communes_voisines_toulouse.geojson",
)
DEFAULT_SEED = 19
DEFAULT_ADDRESSES = 3000

# The official header of adresse.data.gouv.fr's « adresses-XX.csv », as the loader reads it.
HEADER = BAN_COLUMNS

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0
# Toulouse holds most of the addresses, as it holds most of the people.
_COMMUNE_WEIGHT = {"31555": 6.0}


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    polygon: BaseGeometry


def read_communes(paths: Sequence[Path]) -> list[Commune]:
    """The communes of GeoJSON files (``code_commune``, ``nom_commune``), by INSEE code."""
    communes = []
    for path in paths:
        for feature in json.loads(Path(path).read_text(encoding="utf-8"))["features"]:
            props = feature["properties"]
            polygon = shapely.make_valid(shape(feature["geometry"]))
            shapely.prepare(polygon)
            communes.append(Commune(str(props["code_commune"]), props["nom_commune"], polygon))
    return sorted(communes, key=lambda c: c.code)


def _afnor(text: str) -> str:
    """The AFNOR form: capitals without accents, apostrophes and hyphens as spaces, 32 at most."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    plain = plain.replace("'", " ").replace("-", " ").upper()
    return " ".join(plain.split())[:32]


def _street_name(rng: np.random.Generator, kind: str) -> str:
    family = rng.choice(
        ["people", "feminine", "masculine", "plural", "vowel", "town"],
        p=[0.34, 0.16, 0.14, 0.18, 0.08, 0.10],
    )
    pool = {
        "people": names.PEOPLE,
        "feminine": names.FEMININE,
        "masculine": names.MASCULINE,
        "plural": names.PLURAL,
        "vowel": names.VOWEL,
        "town": names.TOWNS,
    }[str(family)]
    word = pool[int(rng.integers(len(pool)))]
    return f"{kind} {names.with_article(word, str(family))}"


def _postcode(commune: Commune, lon: float, lat: float) -> str:
    if commune.code != "31555":
        return names.POSTCODES.get(commune.code, commune.code[:2] + "000")
    c_lon, c_lat = names.TOULOUSE_CENTRE
    dx = (lon - c_lon) * _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(c_lat))
    dy = (lat - c_lat) * _M_PER_DEG_LAT
    if math.hypot(dx, dy) < 1300:
        return names.TOULOUSE_POSTCODES["centre"]
    angle = math.degrees(math.atan2(dy, dx)) % 360
    district = (
        "east"
        if angle < 45 or angle >= 330
        else "north"
        if angle < 135
        else "west"
        if angle < 200
        else "southwest"
        if angle < 260
        else "south"
    )
    return names.TOULOUSE_POSTCODES[district]


def _random_point(rng: np.random.Generator, polygon: BaseGeometry) -> tuple[float, float]:
    w, s, e, n = polygon.bounds
    while True:
        lon, lat = rng.uniform(w, e), rng.uniform(s, n)
        if shapely.contains_xy(polygon, lon, lat):
            return float(lon), float(lat)


def _offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    m_per_deg_lon = _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat))
    return lon + east_m / m_per_deg_lon, lat + north_m / _M_PER_DEG_LAT


def _numbers(
    rng: np.random.Generator,
    polygon: BaseGeometry,
    start: tuple[float, float],
    length: float,
    square: bool,
) -> list[tuple[int, str, float, float]]:
    """(number, rep, lon, lat) along a straight street: odd on the left, even on the right."""
    bearing = rng.uniform(0, 2 * math.pi)
    ux, uy = math.cos(bearing), math.sin(bearing)
    spacing = rng.uniform(12, 25)
    side = rng.uniform(6, 10)
    points = []
    for number in range(1, 400):
        if square:
            # Around a square: the numbers go round its four sides, 12 m apart.
            along = (number - 1) * 12.0
            if along > 4 * length:
                break
            edge, pos = divmod(along, length)
            corners = [(0, 0), (length, 0), (length, length), (0, length)]
            (x0, y0), (x1, y1) = corners[int(edge)], corners[(int(edge) + 1) % 4]
            t = pos / length
            east, north = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
        else:
            along = ((number - 1) // 2) * spacing + (spacing / 2 if number % 2 == 0 else 0)
            if along > length:
                break
            sign = 1 if number % 2 else -1
            east = ux * along - uy * side * sign
            north = uy * along + ux * side * sign
        lon, lat = _offset(*start, east, north)
        if not shapely.contains_xy(polygon, lon, lat):
            break
        points.append((number, "", lon, lat))
        if rng.random() < 0.06:
            rep = "bis" if rng.random() < 0.8 else "ter"
            b_lon, b_lat = _offset(lon, lat, ux * 4, uy * 4)
            if shapely.contains_xy(polygon, b_lon, b_lat):
                points.append((number, rep, b_lon, b_lat))
    return points


def generate_ban(
    seed: int = DEFAULT_SEED,
    n_addresses: int = DEFAULT_ADDRESSES,
    communes: Sequence[Path] = DEFAULT_COMMUNES,
) -> list[dict[str, str]]:
    """About ``n_addresses`` BAN rows over the communes, sorted by id as the BAN is."""
    rng = np.random.default_rng(seed)
    areas = read_communes(communes)
    weights = np.array([_COMMUNE_WEIGHT.get(c.code, 1.0) for c in areas])
    targets = np.round(weights / weights.sum() * n_addresses).astype(int)
    kinds = [k for k, _, _ in names.KINDS]
    kind_p = np.array([w for _, w, _ in names.KINDS])
    kind_p = kind_p / kind_p.sum()
    lengths = {k: span for k, _, span in names.KINDS}
    rows: list[dict[str, str]] = []
    for commune, target in zip(areas, targets, strict=True):
        used: set[str] = set()
        count = 0
        voie = int(rng.integers(1000, 5000))
        while count < target:
            if rng.random() < 0.04:
                name = names.LOCALITIES[int(rng.integers(len(names.LOCALITIES)))]
                length, square = float(rng.uniform(60, 200)), False
            else:
                kind = str(rng.choice(kinds, p=kind_p))
                name = _street_name(rng, kind)
                low, high = lengths[kind]
                length, square = float(rng.uniform(low, high)), kind == "Place"
            if name in used:
                continue
            start = _random_point(rng, commune.polygon)
            points = _numbers(rng, commune.polygon, start, length, square)
            if len(points) < 2:
                continue
            used.add(name)
            voie += int(rng.integers(1, 40))
            fantoir = f"{commune.code}_{voie:04d}"
            postcode = _postcode(commune, *start)
            certified = "1" if rng.random() < 0.7 else "0"
            for number, rep, lon, lat in points[: max(target - count, 2)]:
                rows.append(
                    _row(commune, fantoir, number, rep, name, postcode, lon, lat, certified, rng)
                )
                count += 1
    _project(rows)
    rows.sort(key=lambda r: r["id"])
    return rows


def _row(
    commune: Commune,
    fantoir: str,
    number: int,
    rep: str,
    name: str,
    postcode: str,
    lon: float,
    lat: float,
    certified: str,
    rng: np.random.Generator,
) -> dict[str, str]:
    suffix = f"_{rep}" if rep else ""
    parcel = (
        f"{commune.code}000{'ABCDEHKLMN'[int(rng.integers(10))]}{int(rng.integers(1, 999)):04d}"
    )
    return {
        "id": f"{fantoir}_{number:05d}{suffix}",
        "id_fantoir": fantoir,
        "numero": str(number),
        "rep": rep,
        "nom_voie": name,
        "code_postal": postcode,
        "code_insee": commune.code,
        "nom_commune": commune.name,
        "code_insee_ancienne_commune": "",
        "nom_ancienne_commune": "",
        "x": "",
        "y": "",
        "lon": f"{lon:.6f}",
        "lat": f"{lat:.6f}",
        "type_position": "entrée" if rng.random() < 0.8 else "bâtiment",
        "alias": "",
        "nom_ld": "",
        "libelle_acheminement": _afnor(commune.name),
        "nom_afnor": _afnor(name),
        "source_position": "commune",
        "source_nom_voie": "commune",
        "certification_commune": certified,
        "cad_parcelles": parcel if rng.random() < 0.6 else "",
    }


def _project(rows: list[dict[str, str]]) -> None:
    """Lambert-93 x;y from the lon;lat as written, so that both say the same place."""
    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    lon = np.array([float(r["lon"]) for r in rows])
    lat = np.array([float(r["lat"]) for r in rows])
    x, y = to_l93.transform(lon, lat)
    for row, xi, yi in zip(rows, x, y, strict=True):
        row["x"], row["y"] = f"{xi:.2f}", f"{yi:.2f}"


def ban_text(rows: Sequence[dict[str, str]]) -> str:
    """The file's text: the official header, ``;``-separated, LF line ends."""
    lines = [";".join(HEADER)]
    lines += [";".join(row[c] for c in HEADER) for row in rows]
    return "\n".join(lines) + "\n"


def write_ban(rows: Sequence[dict[str, str]], path: Path) -> None:
    """Write the rows, gzipped when the name ends in .gz (byte-identical for the same rows)."""
    data = ban_text(rows).encode("utf-8")
    path = Path(path)
    if path.name.endswith(".gz"):
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz:
            gz.write(data)
        data = buffer.getvalue()
    path.write_bytes(data)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Extrait synthétique de la BAN (adresses).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--addresses", type=int, default=DEFAULT_ADDRESSES)
    parser.add_argument("--commune", type=Path, action="append", help="GeoJSON des communes")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rows = generate_ban(args.seed, args.addresses, args.commune or DEFAULT_COMMUNES)
    write_ban(rows, args.out)
    print(f"{len(rows)} adresses écrites dans {args.out}")


if __name__ == "__main__":
    main()
