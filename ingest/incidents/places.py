"""Places of incident files: coordinates to WGS84 lon/lat, checked against a territory.

- Numbers may use a decimal comma (``1,4442``) and spaces between thousands (``574 321,5``).
- ``(0, 0)`` means "not geolocated", as many tools write it.
- Without a CRS, a pair of coordinate columns is read, from the majority of its values in the
  chunk (not row by row), as Lambert-93 (EPSG:2154) when x lies in 100 000–1 300 000 and y in
  6 000 000–7 200 000, as Lambert II étendu (EPSG:27572) when y lies in 1 600 000–2 800 000,
  else as WGS84 longitude/latitude. A column named x/y may hold degrees, and one named
  longitude/latitude metres: the values decide.
- Territory "france": metropolitan France with Corsica, and the overseas départements and
  collectivités, each as a lon/lat box. A point outside is rejected; so is a point outside the
  box a caller adds (a commune's extent, say).
- A row with an address and no point is left to the geocoder (ingest.incidents.geocoding).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Transformer

from ingest.incidents.columns import arrow_text, per_value, stripped, stripped_with_text

try:
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pandas' own string path: the same results, slower
    pa = pc = None

BBox = tuple[float, float, float, float]  # west, south, east, north (WGS84 degrees)

WGS84, LAMBERT93, LAMBERT2E = 4326, 2154, 27572
SPACES = "[\\s\u00a0\u202f]"  # white space, no-break spaces (literal, for re and RE2)
ONE_COMMA = r"^([+-]?\d*),(\d+)$"
PLAIN_NUMBER = r"^[+-]?\d+(?:[.,]\d+)?$"
NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"

FRANCE: dict[str, BBox] = {
    "France métropolitaine et Corse": (-5.5, 41.2, 9.9, 51.3),
    "Guadeloupe": (-61.9, 15.8, -60.9, 16.6),
    "Martinique": (-61.3, 14.35, -60.75, 14.95),
    "Guyane": (-54.7, 2.1, -51.5, 5.9),
    "La Réunion": (55.15, -21.45, 55.9, -20.8),
    "Mayotte": (44.95, -13.1, 45.35, -12.55),
    "Saint-Pierre-et-Miquelon": (-56.5, 46.7, -56.1, 47.2),
    "Saint-Barthélemy": (-62.95, 17.85, -62.75, 18.0),
    "Saint-Martin": (-63.2, 18.0, -62.95, 18.15),
    "Wallis-et-Futuna": (-178.3, -14.4, -176.1, -13.1),
    "Polynésie française": (-154.8, -27.8, -134.4, -7.8),
    "Nouvelle-Calédonie": (163.5, -23.0, 168.3, -19.0),
}

# Values that stand for "no address" in the tools' exports, compared accent- and case-free.
NO_ADDRESS = {"no location", "unknown", "inconnu", "inconnue", "non renseigne", "nc", "n/a"}
NO_ADDRESS |= {"na", "-", "?", "sans adresse", "adresse inconnue", "non communique"}


@dataclass
class Located:
    """WGS84 lon/lat per row (NaN when rejected) and the French reason of each rejected row."""

    lon: np.ndarray
    lat: np.ndarray
    error: pd.Series


@dataclass
class CoordinateColumns:
    """A pair of coordinate columns of the file, with their header names and EPSG if known."""

    x: pd.Series
    y: pd.Series
    x_name: str
    y_name: str
    crs: int | None = None


def to_float(values: pd.Series) -> np.ndarray:
    """Numbers written with a decimal point or comma, spaces between thousands; NaN otherwise."""
    return per_value(_to_float, values)


def _to_float(values: pd.Series) -> np.ndarray:
    array = arrow_text(values, strip=False)
    if array is None:
        text = values.astype(object).where(values.notna(), "").astype(str).to_numpy(dtype=object)
        if pc is not None:
            return _arrow_float(pa.array(text, type=pa.string()))
        series = pd.Series(text, dtype=object).str.replace(SPACES, "", regex=True)
        series = series.str.replace(ONE_COMMA, r"\1.\2", regex=True)
        series = series.where(series.str.fullmatch(NUMBER))
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
    return _arrow_float(array)


def _arrow_float(array: pa.Array) -> np.ndarray:
    # Plain numbers ("1,4442", "-574321.5") are the common case: no space to remove.
    plain = pc.match_substring_regex(array, PLAIN_NUMBER)
    if pc.all(plain).as_py():
        return _cast(pc.replace_substring(array, ",", "."))
    out = np.full(len(array), np.nan)
    simple = np.asarray(plain)
    out[simple] = _cast(pc.replace_substring(array.filter(plain), ",", "."))
    array = array.filter(pc.invert(plain))
    array = pc.replace_substring_regex(array, SPACES, "")
    array = pc.replace_substring_regex(array, ONE_COMMA, r"\1.\2")
    numeric = pc.match_substring_regex(array, f"^{NUMBER}$")
    out[~simple] = _cast(pc.if_else(numeric, array, None))
    return out


def _cast(text: pa.Array) -> np.ndarray:
    numbers = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(numbers, dtype="float64")


def detect_crs(x: np.ndarray, y: np.ndarray) -> int:
    """The EPSG that most finite (x, y) values fit: Lambert-93, Lambert II étendu or WGS84."""
    votes = {
        LAMBERT93: (x >= 100_000) & (x <= 1_300_000) & (y >= 6_000_000) & (y <= 7_200_000),
        LAMBERT2E: (x >= 0) & (x <= 1_300_000) & (y >= 1_600_000) & (y <= 2_800_000),
        WGS84: (np.abs(x) <= 180) & (np.abs(y) <= 90),
    }
    counts = {crs: int(np.count_nonzero(mask)) for crs, mask in votes.items()}
    best = max(counts, key=lambda crs: counts[crs])
    return best if counts[best] > 0 else WGS84


@lru_cache(maxsize=32)
def _transformer(crs: int | str) -> Transformer:
    return Transformer.from_crs(crs, WGS84, always_xy=True)


def to_wgs84(x: np.ndarray, y: np.ndarray, crs: int | str) -> tuple[np.ndarray, np.ndarray]:
    """Reproject to WGS84 lon/lat; NaN where the input is NaN or outside the projection."""
    if crs == WGS84:
        lon, lat = x.astype("float64"), y.astype("float64")
        valid = (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    else:
        lon, lat = _transformer(crs).transform(x, y)
        lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
        valid = np.isfinite(lon) & np.isfinite(lat)
    return np.where(valid, lon, np.nan), np.where(valid, lat, np.nan)


def inside(lon: np.ndarray, lat: np.ndarray, boxes: list[BBox]) -> np.ndarray:
    """True where (lon, lat) lies in one of the boxes."""
    hit = np.zeros(len(lon), dtype=bool)
    for west, south, east, north in boxes:
        hit |= (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    return hit


def clean_address(values: pd.Series) -> pd.Series:
    """Stripped addresses; None where empty or a placeholder such as "No Location"."""
    return per_value(_clean_address, values)


def _clean_address(values: pd.Series) -> pd.Series:
    text, arrow = stripped_with_text(values)
    if arrow is None or not len(arrow):
        return _placeholders_out(text)
    # ASCII text folds to its lower case. Other text folds to at least one character for each
    # character outside the combining accents (U+0300-U+036F), so only short text or text
    # with such accents may fold to a placeholder: that goes through _placeholders_out.
    ascii_text = np.asarray(pc.string_is_ascii(arrow))
    placeholder = np.asarray(pc.is_in(pc.ascii_lower(arrow), pa.array(sorted(NO_ADDRESS))))
    short = np.asarray(pc.utf8_length(arrow)) <= max(map(len, NO_ADDRESS))
    maybe = ~ascii_text & short
    other = ~ascii_text & ~short
    if other.any():
        accents = pc.match_substring_regex(arrow.filter(pa.array(other)), "[\u0300-\u036f]")
        maybe[other] = np.asarray(accents)
    out = text.to_numpy(dtype=object, copy=True)
    out[ascii_text & placeholder] = None
    if maybe.any():
        out[maybe] = _placeholders_out(text[maybe]).to_numpy(dtype=object)
    return pd.Series(out, index=text.index, dtype=object)


def _placeholders_out(text: pd.Series) -> pd.Series:
    """None where the text is a placeholder of NO_ADDRESS (compared without case or accents)."""
    text = text.astype(object).where(text.notna(), "").astype(str).str.strip()
    folded = text.str.lower().str.normalize("NFKD").str.replace(r"[\u0300-\u036f]", "", regex=True)
    return text.astype(object).where((text != "") & ~folded.isin(NO_ADDRESS), None)


def _filled(values: pd.Series) -> np.ndarray:
    return stripped(values).notna().to_numpy()


def _shown(value: Any) -> Any:
    """A cell as the reason shows it: "" when missing."""
    return "" if value is None or value is pd.NA or value != value else value or ""


def _fmt(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def locate(
    pairs: list[CoordinateColumns],
    *,
    address: pd.Series,
    geometry: np.ndarray | None = None,
    territory: str | BBox = "france",
    territory_bbox: BBox | None = None,
) -> Located:
    """Lon/lat of each row from its geometry, else the first usable pair, checked in place.

    A row with an address and no usable point keeps NaN and no reason: it is to geocode.
    """
    n = len(address)
    error = pd.Series([None] * len(address.index), index=address.index, dtype=object)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    if geometry is not None:
        lon, lat = geometry[:, 0].astype("float64"), geometry[:, 1].astype("float64")
    for pair in pairs:
        x, y = to_float(pair.x), to_float(pair.y)
        zero = (x == 0) & (y == 0)
        readable = np.isfinite(x) & np.isfinite(y) & ~zero
        crs = pair.crs or detect_crs(x[readable], y[readable])
        px, py = to_wgs84(x, y, crs)
        fill = np.isnan(lon) & readable & np.isfinite(px)
        lon[fill], lat[fill] = px[fill], py[fill]
        # Unusable values are named, unless a later pair places the row.
        bad = np.isnan(lon) & ~zero & error.isna().to_numpy()
        if bad.any():
            bad[bad] = _filled(pair.x[bad]) | _filled(pair.y[bad])
        if bad.any():
            error[bad] = [
                f'coordonnées illisibles ou hors plage : {pair.x_name}="{_shown(a)}", '
                f'{pair.y_name}="{_shown(b)}" (attendu des degrés WGS84 ou des mètres '
                f"Lambert-93 ; sinon précisez crs dans le fichier de correspondance)"
                for a, b in zip(pair.x[bad], pair.y[bad], strict=True)
            ]
    error[~np.isnan(lon)] = None
    missing = np.isnan(lon) & error.isna().to_numpy()
    # A row with an address and no point stays, without a point and without a reason: the
    # importer geocodes it (ingest.incidents.geocoding).
    with_address = missing & address.notna().to_numpy()
    nothing = "aucune coordonnée ni adresse"
    if geometry is not None:
        nothing += " (géométrie absente ou autre qu'un point)"
    error[missing & ~with_address] = nothing
    check_territory(lon, lat, error, territory, territory_bbox)
    rejected = error.notna().to_numpy()
    lon[rejected], lat[rejected] = np.nan, np.nan
    return Located(lon=lon, lat=lat, error=error)


def check_territory(
    lon: np.ndarray,
    lat: np.ndarray,
    error: pd.Series,
    territory: str | BBox,
    territory_bbox: BBox | None,
) -> None:
    """Name in ``error`` the points outside France, the mapping's box or the settings' box."""
    placed = ~np.isnan(lon) & error.isna().to_numpy()
    if isinstance(territory, tuple):
        boxes, where = (
            [territory],
            "du territoire attendu [" + ", ".join(map(_fmt, territory)) + "]",
        )
    elif territory == "france":
        boxes, where = list(FRANCE.values()), "de France"
    else:
        boxes, where = [], ""
    if boxes:
        out = placed & ~inside(lon, lat, boxes)
        if out.any():
            swapped = inside(lat[out], lon[out], boxes)
            error[out] = [
                f"point hors {where} ({_fmt(a)}, {_fmt(b)})"
                + (" : latitude et longitude semblent inversées" if s else "")
                for a, b, s in zip(lon[out], lat[out], swapped, strict=True)
            ]
            placed &= ~out
    if territory_bbox is not None:
        out = placed & ~inside(lon, lat, [territory_bbox])
        if out.any():
            error[out] = [
                f"point hors du territoire configuré ({_fmt(a)}, {_fmt(b)})"
                for a, b in zip(lon[out], lat[out], strict=True)
            ]
