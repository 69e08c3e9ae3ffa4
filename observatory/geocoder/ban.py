"""The BAN's « adresses-XX.csv(.gz) », read commune by commune into addok documents.

The official layout (adresse.data.gouv.fr, ``;``-separated, UTF-8): one row per address point.
addok wants one document per street (or lieu-dit) carrying its housenumbers, as the State's
address API indexes them, plus one per commune.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from observatory.errors import InvalidInput

BAN_COLUMNS: tuple[str, ...] = (
    "id",
    "id_fantoir",
    "numero",
    "rep",
    "nom_voie",
    "code_postal",
    "code_insee",
    "nom_commune",
    "code_insee_ancienne_commune",
    "nom_ancienne_commune",
    "x",
    "y",
    "lon",
    "lat",
    "type_position",
    "alias",
    "nom_ld",
    "libelle_acheminement",
    "nom_afnor",
    "source_position",
    "source_nom_voie",
    "certification_commune",
    "cad_parcelles",
)
REQUIRED = ("numero", "rep", "nom_voie", "code_postal", "code_insee", "nom_commune", "lon", "lat")

# The BAN numbers a lieu-dit with no address of its own 99999: a place, not a housenumber.
NO_NUMBER = "99999"

# A street name starts with its kind; a lieu-dit (« Les Argoulets ») does not.
_STREET_KINDS = re.compile(
    r"^(rue|ruelle|avenue|boulevard|bd|place|placette|impasse|chemin|allée|allee|route|quai|"
    r"cours|square|passage|esplanade|promenade|rond-point|rond point|voie|sentier|sente|rocade|"
    r"parvis|cité|cite|résidence|residence|lotissement|faubourg|traverse|montée|descente|"
    r"port|pont|carrefour|galerie|mail|chaussée|venelle|clos|quartier|hameau|domaine|parc|"
    r"jardin|boucle|côte|cote|rampe)\b",
    re.IGNORECASE,
)


@dataclass
class CommuneAddresses:
    """Every address row of one commune in a BAN file, and a digest of them."""

    code: str
    name: str
    rows: list[dict[str, str]] = field(default_factory=list)
    digest: str = ""


def _open_text(raw: IO[bytes], path: Path) -> io.TextIOWrapper:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8-sig", newline="")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def read_communes(
    path: Path, progress: Callable[[float], None] | None = None
) -> Iterator[CommuneAddresses]:
    """The communes of a BAN file, one after the other, as the file lists them.

    ``progress`` is told the share of the file read so far (0 to 1). The BAN lists each
    commune's rows together; a commune met again further down the file is refused.
    """
    path = Path(path)
    size = max(path.stat().st_size, 1)
    with open(path, "rb") as raw, _open_text(raw, path) as text:
        reader = csv.reader(text, delimiter=";")
        try:
            header = next(reader)
        except StopIteration:
            raise InvalidInput(f"{path.name} : fichier vide.") from None
        except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as exc:
            raise InvalidInput(f"{path.name} : illisible ({exc}).") from exc
        index = _header_index(path, header)
        seen: set[str] = set()
        current: CommuneAddresses | None = None
        digest = hashlib.sha256()
        try:
            for line, values in enumerate(reader, start=2):
                if not values or values == [""]:
                    continue
                row = {name: values[i] if i < len(values) else "" for name, i in index.items()}
                code = row["code_insee"].strip()
                if current is None or code != current.code:
                    if current is not None:
                        current.digest = digest.hexdigest()
                        yield current
                        if progress:
                            progress(raw.tell() / size)
                    if code in seen:
                        raise InvalidInput(
                            f"{path.name}, ligne {line} : la commune {code} revient plus bas "
                            "dans le fichier ; le fichier de la BAN liste chaque commune d'un "
                            "seul tenant (triez-le par code_insee)."
                        )
                    seen.add(code)
                    current = CommuneAddresses(code=code, name=row["nom_commune"].strip())
                    digest = hashlib.sha256()
                current.rows.append(row)
                digest.update(";".join(values).encode())
                digest.update(b"\n")
        except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as exc:
            raise InvalidInput(f"{path.name} : illisible ({exc}).") from exc
        if current is not None:
            current.digest = digest.hexdigest()
            yield current
    if progress:
        progress(1.0)


def _header_index(path: Path, header: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InvalidInput(
            f"{path.name} : ce n'est pas un fichier « adresses » de la BAN (séparateur « ; ») : "
            f"colonnes absentes : {', '.join(missing)}. Colonnes lues : "
            f"{', '.join(header[:8])[:200]}."
        )
    return {name: names.index(name) for name in BAN_COLUMNS if name in names}


def _point(row: dict[str, str]) -> tuple[float, float] | None:
    try:
        lon, lat = float(row["lon"]), float(row["lat"])
    except ValueError:
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or (lon == 0 and lat == 0):
        return None
    return lon, lat


def housenumber_label(row: dict[str, str]) -> str | None:
    """« 12 », « 12 bis »: the number as addok keys it, or None for a lieu-dit with none."""
    number = row["numero"].strip().lstrip("0") or row["numero"].strip()
    if not number or number == NO_NUMBER:
        return None
    rep = row["rep"].strip().lower()
    return f"{number} {rep}" if rep else number


def street_kind(name: str) -> str:
    """« street » when the name starts with a kind of way, else « locality » (a lieu-dit)."""
    return "street" if _STREET_KINDS.match(name.strip()) else "locality"


def _central(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The point nearest the mean: a place on the street itself, not between two branches."""
    mean_lon = sum(p[0] for p in points) / len(points)
    mean_lat = sum(p[1] for p in points) / len(points)
    return min(points, key=lambda p: (p[0] - mean_lon) ** 2 + (p[1] - mean_lat) ** 2)


def _values(counter: Counter[str]) -> list[str]:
    """The values seen, most frequent first (addok takes the first as the one to show)."""
    return [value for value, _ in counter.most_common() if value]


def _one_or_list(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


def commune_documents(commune: CommuneAddresses) -> tuple[list[dict[str, Any]], int]:
    """The addok documents of one commune (its streets, lieux-dits and itself) and its
    number of addresses."""
    streets: dict[str, dict[str, Any]] = {}
    addresses = 0
    all_points: list[tuple[float, float]] = []
    commune_postcodes: Counter[str] = Counter()
    for row in commune.rows:
        point = _point(row)
        name = row["nom_voie"].strip()
        if point is None or not name:
            continue
        key = row.get("id_fantoir", "").strip() or name.lower()
        street = streets.get(key)
        if street is None:
            street = streets[key] = {
                "name": Counter(),
                "alias": Counter(),
                "postcode": Counter(),
                "city": Counter(),
                "points": [],
                "housenumbers": {},
                "fantoir": row.get("id_fantoir", "").strip(),
            }
        street["name"][name] += 1
        street["alias"][row.get("alias", "").strip()] += 1
        street["postcode"][row["code_postal"].strip()] += 1
        commune_postcodes[row["code_postal"].strip()] += 1
        for city in (row.get("nom_ancienne_commune", ""), row.get("libelle_acheminement", "")):
            street["city"][city.strip()] += 1
        street["points"].append(point)
        all_points.append(point)
        number = housenumber_label(row)
        if number and number not in street["housenumbers"]:
            street["housenumbers"][number] = {
                "lon": point[0],
                "lat": point[1],
                "id": row.get("id", "").strip() or None,
            }
            addresses += 1
    documents = [_street_document(commune, key, s) for key, s in sorted(streets.items())]
    if all_points:
        lon, lat = _central(all_points)
        documents.append(
            {
                "_id": f"{commune.code}",
                "type": "municipality",
                "name": commune.name,
                "postcode": _one_or_list(_values(commune_postcodes)),
                "citycode": commune.code,
                "lon": lon,
                "lat": lat,
                "importance": 0.5,
            }
        )
    return documents, addresses


def _street_document(commune: CommuneAddresses, key: str, street: dict[str, Any]) -> dict:
    name = _values(street["name"])[0]
    lon, lat = _central(street["points"])
    fantoir = street["fantoir"]
    if fantoir.startswith(commune.code):
        doc_id = fantoir
    else:
        doc_id = f"{commune.code}_{hashlib.sha1(key.encode()).hexdigest()[:10]}"  # noqa: S324
    # Other names the street or its commune go by: an alias, a former commune (a commune
    # nouvelle), the postal label; the commune's own name first, the one shown.
    names = [name, *(a for a in _values(street["alias"]) if a != name)]
    cities = [commune.name]
    cities += [c for c in _values(street["city"]) if c.lower() != commune.name.lower()]
    n_numbers = len(street["housenumbers"])
    document: dict[str, Any] = {
        "_id": doc_id,
        "type": street_kind(name),
        "name": _one_or_list(names),
        "postcode": _one_or_list(_values(street["postcode"])),
        "citycode": commune.code,
        "city": _one_or_list(cities),
        "lon": lon,
        "lat": lat,
        # Longer streets weigh a little more, as in the BAN (addok gives importance 10 %).
        "importance": round(min(1.0, math.log10(1 + n_numbers) / 3), 4),
    }
    if street["housenumbers"]:
        document["housenumbers"] = street["housenumbers"]
    return document
