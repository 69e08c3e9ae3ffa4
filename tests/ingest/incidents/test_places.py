"""Places of incident files: numbers, CRS detection, reprojection, territory checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from pyproj import Transformer

from ingest.incidents.places import (
    FRANCE,
    LAMBERT2E,
    LAMBERT93,
    WGS84,
    CoordinateColumns,
    _placeholders_out,
    clean_address,
    detect_crs,
    inside,
    locate,
    to_float,
    to_wgs84,
)

CAPITOLE = (1.4442, 43.6045)  # Toulouse, place du Capitole


def capitole_lambert93() -> tuple[float, float]:
    return Transformer.from_crs(4326, 2154, always_xy=True).transform(*CAPITOLE)


def texts(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype=object)


def pair(x: pd.Series, y: pd.Series, crs: int | None = None) -> CoordinateColumns:
    return CoordinateColumns(x, y, "X", "Y", crs)


def test_numbers_with_decimal_comma_and_spaces() -> None:
    got = to_float(texts("1,4442", "43.6045", " 574 321,5 ", "574\u00a0321.5", "-0,5", "1e3"))
    assert_allclose(got, [1.4442, 43.6045, 574321.5, 574321.5, -0.5, 1000.0])
    assert np.isnan(to_float(texts("abc", None, "", "1,2,3", "nan", "12 rue"))).all()


def test_reference_point_is_where_expected() -> None:
    x, y = capitole_lambert93()
    assert 574_300 <= x < 574_400
    assert 6_279_600 <= y < 6_279_700


def test_lambert93_detected_from_the_range_and_reprojected() -> None:
    x, y = capitole_lambert93()
    xs = np.array([x, x + 100.0, 2.0])  # one stray value does not change the majority
    ys = np.array([y, y + 100.0, 48.0])
    assert detect_crs(xs, ys) == LAMBERT93
    lon, lat = to_wgs84(np.array([x]), np.array([y]), LAMBERT93)
    assert_allclose([lon[0], lat[0]], CAPITOLE, atol=1e-9)


def test_other_ranges() -> None:
    assert detect_crs(np.array([1.44, 2.35]), np.array([43.6, 48.85])) == WGS84
    assert detect_crs(np.array([525_000.0]), np.array([1_845_000.0])) == LAMBERT2E
    assert detect_crs(np.array([]), np.array([])) == WGS84


def test_locate_lambert93_columns_with_decimal_commas() -> None:
    x, y = capitole_lambert93()
    xs = texts(f"{x:.3f}".replace(".", ","), f"{x:.3f}")
    ys = texts(f"{y:.3f}".replace(".", ","), f"{y:.3f}")
    got = locate([pair(xs, ys)], address=texts(None, None))
    assert got.error.isna().all()
    assert_allclose(got.lon, [CAPITOLE[0]] * 2, atol=1e-7)
    assert_allclose(got.lat, [CAPITOLE[1]] * 2, atol=1e-7)


def test_x_y_columns_holding_degrees_are_fine() -> None:
    got = locate([pair(texts("1.4442"), texts("43.6045"))], address=texts(None))
    assert got.error.iloc[0] is None
    assert (got.lon[0], got.lat[0]) == CAPITOLE


def test_explicit_crs_wins_over_detection() -> None:
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(*CAPITOLE)
    got = locate([pair(texts(str(x)), texts(str(y)), crs=3857)], address=texts(None))
    assert got.error.iloc[0] is None
    assert_allclose([got.lon[0], got.lat[0]], CAPITOLE, atol=1e-9)


def test_first_usable_pair_and_geometry_win() -> None:
    geometry = np.array([[2.35, 48.85], [np.nan, np.nan], [np.nan, np.nan]])
    lonlat = pair(texts("1.0", "1.4442", "abc"), texts("45.0", "43.6045", None))
    x, y = capitole_lambert93()
    lambert = pair(texts("0", "0", str(x)), texts("0", "0", str(y)))
    got = locate([lonlat, lambert], address=texts(None, None, None), geometry=geometry)
    assert got.error.isna().all()
    assert_allclose(got.lon, [2.35, 1.4442, CAPITOLE[0]], atol=1e-7)
    assert_allclose(got.lat, [48.85, 43.6045, CAPITOLE[1]], atol=1e-7)


def test_rows_without_coordinates() -> None:
    got = locate(
        [pair(texts(None, "0", "", "abc"), texts(None, "0", None, "43.6"))],
        address=clean_address(texts("12 rue du Taur", None, "No Location", "Place X")),
    )
    assert got.error.tolist() == [
        None,  # an address without a point: left to the geocoder, without a point
        "aucune coordonnée ni adresse",  # (0, 0) is "not geolocated"
        "aucune coordonnée ni adresse",
        'coordonnées illisibles ou hors plage : X="abc", Y="43.6" (attendu des degrés WGS84 '
        "ou des mètres Lambert-93 ; sinon précisez crs dans le fichier de correspondance)",
    ]
    assert np.isnan(got.lon).all() and np.isnan(got.lat).all()


def test_values_of_no_known_range_are_named() -> None:
    got = locate([pair(texts("160000"), texts("5400000"))], address=texts(None))
    assert got.error.iloc[0].startswith('coordonnées illisibles ou hors plage : X="160000"')


def test_points_outside_france() -> None:
    got = locate(
        [pair(texts("-0.1276", "43.6045", "2.35"), texts("51.5072", "1.4442", "48.85"))],
        address=texts(None, None, None),
    )
    assert got.error.tolist() == [
        "point hors de France (-0.1276, 51.5072)",
        "point hors de France (43.6045, 1.4442) : latitude et longitude semblent inversées",
        None,
    ]


def test_caller_box_is_checked_in_addition() -> None:
    toulouse = (1.35, 43.53, 1.51, 43.67)
    got = locate(
        [pair(texts("1.4442", "2.35", "-0.1276"), texts("43.6045", "48.85", "51.5072"))],
        address=texts(None, None, None),
        territory_bbox=toulouse,
    )
    assert got.error.tolist() == [
        None,
        "point hors du territoire configuré (2.35, 48.85)",
        "point hors de France (-0.1276, 51.5072)",
    ]


def test_mapping_box_and_no_territory() -> None:
    uk = (-8.7, 49.8, 1.8, 60.9)
    london = pair(texts("-0.1276", "2.35"), texts("51.5072", "48.85"))
    got = locate([london], address=texts(None, None), territory=uk)
    assert got.error.tolist() == [
        None,
        "point hors du territoire attendu [-8.7, 49.8, 1.8, 60.9] (2.35, 48.85)",
    ]
    got = locate([london], address=texts(None, None), territory="none")
    assert got.error.isna().all()


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (2.3522, 48.8566),  # Paris
        (8.7369, 41.9192),  # Ajaccio
        (-61.5331, 16.2411),  # Pointe-à-Pitre
        (-61.0588, 14.6161),  # Fort-de-France
        (-52.3350, 4.9372),  # Cayenne
        (55.4481, -20.8789),  # Saint-Denis de La Réunion
        (45.2279, -12.7806),  # Mamoudzou
        (-56.1773, 46.7811),  # Saint-Pierre
        (-62.8498, 17.8962),  # Gustavia
        (-63.0822, 18.0670),  # Marigot
        (-176.1745, -13.2825),  # Mata-Utu
        (-149.5585, -17.5516),  # Papeete
        (166.4572, -22.2758),  # Nouméa
    ],
)
def test_france_includes_overseas(lon: float, lat: float) -> None:
    assert inside(np.array([lon]), np.array([lat]), list(FRANCE.values()))[0]


@pytest.mark.parametrize(("lon", "lat"), [(-3.7038, 40.4168), (-0.1276, 51.5072), (0.0, 0.0)])
def test_france_excludes_elsewhere(lon: float, lat: float) -> None:
    assert not inside(np.array([lon]), np.array([lat]), list(FRANCE.values()))[0]


def test_address_placeholders_are_no_address() -> None:
    got = clean_address(texts(" 12 rue du Taur ", "No Location", "Non renseigné", "", None, "-"))
    assert got.tolist() == ["12 rue du Taur", None, None, None, None, None]


# --- the fast paths agree with the general ones -----------------------------------------------

NUMBERS = ["1,4442", "-574321.5", "+1,5", " 574 321,5 ", "6\u00a0279\u202f620,7", ",5", "1,",
           "1.", ".5", "1e3", "1E-2", "-0,5", "nan", "inf", "abc", "", None, "1,2,3", "1.2,3",
           "٣١", "0"]  # fmt: skip


def test_plain_numbers_read_as_the_general_path_reads_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ingest.incidents.columns
    import ingest.incidents.places

    values = texts(*NUMBERS)
    fast = to_float(values)
    plain = to_float(texts("1,4442", "-574321.5", "+1,5", "0"))
    for module in (ingest.incidents.columns, ingest.incidents.places):
        monkeypatch.setattr(module, "pc", None)
    np.testing.assert_array_equal(fast, to_float(values))
    np.testing.assert_array_equal(plain, to_float(texts("1,4442", "-574321.5", "+1,5", "0")))


ADDRESSES = ["No Location", "NO LOCATION", " n/a ", "N/A", "Non renseigné", "NON RENSEIGNE",
             "non renseigne\u0301", "Non Communiqué", "ＮＯ ＬＯＣＡＴＩＯＮ", "ñc", "-", "?",
             "Adresse inconnue", "adresse inconnu\u0301e", "12 rue du Taur",
             "Rue de l'Université", "inconnu" + "\u0301" * 30,
             "Place Saint-Pierre, près de la Garonne", "", None, "ﬁ"]  # fmt: skip


def test_address_placeholders_fast_path_agrees() -> None:
    values = texts(*ADDRESSES)
    got = clean_address(values)
    assert got.tolist() == _placeholders_out(values).tolist()
    assert got.isna().sum() == 17


def test_folding_keeps_a_character_for_each_character_but_accents() -> None:
    """What the fast path of clean_address rests on: a long text without combining accents
    (U+0300-U+036F) never folds to a short placeholder."""
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    chars = [c for c in chars if not "\u0300" <= c <= "\u036f"]
    text = pd.Series(chars, dtype=object).astype(str)
    folded = text.str.lower().str.normalize("NFKD").str.replace(r"[\u0300-\u036f]", "", regex=True)
    assert (folded.str.len() >= 1).all()
