"""Actions of the CLSPD (issue 11) through the API, the command line, PostGIS and the pack.

The facts are generated here with a planted effect around the Capitole (treated −50 %, the
ring around it +40 %, everything +10 % after the start), imported through the real importer.
Reference counts come from geopandas (a spatial join of the facts read back from PostGIS on
the same polygons) and from a plain PostGIS count, never from the code under test.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from observatory.settings import PROJECT_ROOT, Settings
from tests.conftest import api_settings, auth, role_tokens, run_cli

SAMPLES = PROJECT_ROOT / "data" / "samples"
HEADER = "numero;date_faits;heure_faits;date_fin;heure_fin;nature;code_insee;longitude;latitude"
CAPITOLE = (1.44395, 43.60447)
PEAK = (1.41800, 43.61500)  # a place with a burst of burglaries in 2023
QUIET = (1.47100, 43.63050)  # a place with a handful of thefts
START = date(2024, 1, 1)
FIRST, LAST = date(2021, 1, 1), date(2025, 6, 30)


def offsets(rng: np.random.Generator, n: int, r_min: float, r_max: float) -> np.ndarray:
    """n points uniform in the annulus r_min..r_max metres round the origin (metres)."""
    r = np.sqrt(rng.uniform(r_min**2, r_max**2, n))
    theta = rng.uniform(0, 2 * math.pi, n)
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def to_lonlat(centre: tuple[float, float], xy: np.ndarray) -> np.ndarray:
    lat = centre[1] + xy[:, 1] / 111_320
    lon = centre[0] + xy[:, 0] / (111_320 * math.cos(math.radians(centre[1])))
    return np.column_stack([lon, lat])


def daily(rng: np.random.Generator, rate_before: float, rate_after: float) -> list[date]:
    days = []
    day = FIRST
    while day <= LAST:
        rate = rate_before if day < START else rate_after
        days += [day] * int(rng.poisson(rate))
        day += timedelta(days=1)
    return days


def generate(path: Path) -> Path:
    """Targeted thefts from cars round the Capitole and in the rest of Toulouse, a burst of
    burglaries at PEAK in 2023, a few thefts at QUIET, noise complaints everywhere."""
    rng = np.random.default_rng(11)
    toulouse = gpd.read_file(SAMPLES / "communes_toulouse.geojson").geometry.iloc[0]
    rows: list[str] = []

    def add(days: list[date], where: np.ndarray, category: str) -> None:
        for day, (lon, lat) in zip(days, where, strict=True):
            rows.append(
                f"G-{len(rows):06d};{day:%d/%m/%Y};12:00;;;{category};31555;{lon:.6f};{lat:.6f}"
            )

    treated = daily(rng, 0.4, 0.4 * 0.5 * 1.1)
    add(treated, to_lonlat(CAPITOLE, offsets(rng, len(treated), 0, 140)), "vol_dans_vehicule")
    ring = daily(rng, 0.5, 0.5 * 1.4 * 1.1)
    add(ring, to_lonlat(CAPITOLE, offsets(rng, len(ring), 160, 340)), "vol_dans_vehicule")
    control = daily(rng, 6.0, 6.0 * 1.1)
    spots = np.zeros((0, 2))
    west, south, east, north = toulouse.bounds
    while len(spots) < len(control):
        xy = np.column_stack([rng.uniform(west, east, 5000), rng.uniform(south, north, 5000)])
        keep = shapely.contains_xy(toulouse, xy[:, 0], xy[:, 1])
        far = to_lonlat(CAPITOLE, np.zeros((1, 2)))[0]
        metres = np.hypot(
            (xy[:, 0] - far[0]) * 111_320 * math.cos(math.radians(CAPITOLE[1])),
            (xy[:, 1] - far[1]) * 111_320,
        )
        quiet = np.hypot(
            (xy[:, 0] - QUIET[0]) * 111_320 * math.cos(math.radians(QUIET[1])),
            (xy[:, 1] - QUIET[1]) * 111_320,
        )
        spots = np.vstack([spots, xy[keep & (metres > 360) & (quiet > 150)]])
    add(control, spots[: len(control)], "vol_dans_vehicule")
    burst = [d for d in daily(rng, 0.03, 0.03) if not date(2023, 1, 1) <= d < START] + [
        date(2023, 1, 1) + timedelta(days=int(k)) for k in rng.integers(0, 365, 90)
    ]
    add(burst, to_lonlat(PEAK, offsets(rng, len(burst), 0, 90)), "cambriolage_logement")
    quiet = [
        date(2023, 3, 1),
        date(2023, 7, 1),
        date(2023, 9, 1),
        date(2024, 5, 1),
        date(2024, 8, 1),
    ]
    add(quiet, to_lonlat(QUIET, offsets(rng, len(quiet), 0, 40)), "vol_dans_vehicule")
    noise = [FIRST + timedelta(days=int(k)) for k in rng.integers(0, (LAST - FIRST).days, 400)]
    add(noise, spots[:400], "tapage")
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@dataclass
class Loaded:
    engine: Engine
    settings: Settings
    client: TestClient
    admin: dict[str, str]
    analyst: dict[str, str]
    police: dict[str, str]
    partner: dict[str, str]


@pytest.fixture(scope="module")
def loaded(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    """Communes, QPV and the generated facts, loaded once for the module; emptied after."""
    from api.main import create_app
    from ingest.boundaries import import_communes, import_qpv
    from ingest.incidents import import_incidents
    from tests.conftest import _truncate_all

    settings = api_settings(database_url)
    _truncate_all(engine)
    import_communes(engine, SAMPLES / "communes_toulouse.geojson")
    import_qpv(engine, SAMPLES / "qpv2024_toulouse.geojson", generation=2024)
    summary = import_incidents(
        engine, generate(tmp_path_factory.mktemp("actions") / "faits.csv"), settings=settings
    )
    assert summary.rows_rejected == 0, summary
    roles = ("admin", "analyst", "police", "partner")
    tokens = {r: auth(t) for r, t in role_tokens(engine, roles, "actions-").items()}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Loaded(engine, settings, client, **tokens)
    _truncate_all(engine)


@pytest.fixture
def clean(loaded: Loaded) -> Iterator[Loaded]:
    """No action left over from another test."""
    with loaded.engine.begin() as conn:
        conn.execute(text("TRUNCATE action RESTART IDENTITY"))
    yield loaded
    with loaded.engine.begin() as conn:
        conn.execute(text("TRUNCATE action RESTART IDENTITY"))


def point_action(
    centre: tuple[float, float] = CAPITOLE, radius: float = 150, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Vidéoprotection place du Capitole",
        "reference": "FA-2.3",
        "kind": "videoprotection",
        "start": START.isoformat(),
        "place": {"kind": "point", "lon": centre[0], "lat": centre[1], "radius": radius},
        "categories": ["vol_dans_vehicule"],
        "note": "Six caméras, centre de supervision urbain.",
    }
    body.update(extra)
    return body


def post(loaded: Loaded, body: dict[str, Any], who: str = "analyst") -> Any:
    return loaded.client.post("/api/v1/actions", json=body, headers=getattr(loaded, who))


# -- recording and listing ---------------------------------------------------------------------


def test_point_line_and_polygon_actions_are_recorded_and_listed(clean: Loaded) -> None:
    answer = post(clean, point_action())
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"].startswith("application/geo+json")
    feature = answer.json()
    props = feature["properties"]
    assert props["commune"] == "31555" and props["kind_label"] == "Vidéoprotection"
    assert props["categories"] == ["vol_dans_vehicule"] and props["ongoing"]
    assert props["area_m2"] == pytest.approx(math.pi * 150**2, rel=0.01)
    assert feature["geometry"]["type"] == "MultiPolygon"

    street = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "LineString",
            "coordinates": [[1.4400, 43.6000], [1.4450, 43.6010]],
        },
    }
    line = post(
        clean,
        {
            "title": "Nouvel éclairage rue de Metz",
            "kind": "eclairage",
            "start": "2024-03-01",
            "end": "2024-12-31",
            "place": {"kind": "line", "geometry": street, "buffer": 25},
            "categories": ["vols"],  # a family: all its categories
        },
    )
    assert line.status_code == 201, line.text
    lp = line.json()["properties"]
    assert "vol_simple" in lp["categories"] and not lp["ongoing"]
    # 0.005° of longitude and 0.001° of latitude: about 403 m by 111 m, a 418 m street;
    # widened by 25 m each side with round ends: 2·25·418 + π·25² ≈ 22,860 m².
    length = math.hypot(0.005 * 111_320 * math.cos(math.radians(43.6005)), 0.001 * 111_132)
    assert lp["area_m2"] == pytest.approx(2 * 25 * length + math.pi * 25**2, rel=0.01)

    square = shapely.box(1.40, 43.57, 1.405, 43.575)
    polygon = post(
        clean,
        {
            "title": "Cellule de veille Mirail",
            "kind": "cellule_de_veille",
            "start": "2023-06-01",
            "place": {"kind": "polygon", "geometry": json.loads(shapely.to_geojson(square))},
        },
        who="admin",
    )
    assert polygon.status_code == 201, polygon.text
    assert polygon.json()["properties"]["categories"] == []

    listed = clean.client.get("/api/v1/actions", headers=clean.police)
    assert listed.status_code == 200
    titles = [f["properties"]["title"] for f in listed.json()["features"]]
    assert titles == [
        "Nouvel éclairage rue de Metz",
        "Vidéoprotection place du Capitole",
        "Cellule de veille Mirail",
    ]
    one = clean.client.get("/api/v1/actions/1", headers=clean.analyst)
    assert one.json()["properties"]["reference"] == "FA-2.3"
    assert clean.client.get("/api/v1/actions/99", headers=clean.analyst).status_code == 404


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[1.44, 43.60], [1.45, 43.61], [1.45, 43.60], [1.44, 43.61], [1.44, 43.60]]],
}


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"end": "2023-12-31"}, "est avant le début"),
        ({"categories": ["soucoupes_volantes"]}, "Catégorie ou famille inconnue"),
        ({"kind": "miracle"}, "« kind » inconnu"),
        ({"place": {"kind": "polygon", "geometry": BOWTIE}}, "polygone invalide"),
        ({"place": {"kind": "point", "lon": 600000, "lat": 6280000, "radius": 50}}, "WGS84"),
        ({"place": {"kind": "point", "lon": 1.44, "lat": 43.6}}, "rayon"),
        ({"place": {"kind": "point", "lon": 1.44, "lat": 43.6, "radius": 9000}}, "5 à 5000"),
        ({"place": {"kind": "line", "geometry": BOWTIE, "buffer": 10}}, "une ligne"),
        ({"place": {"kind": "cercle"}}, "point, line ou polygon"),
        ({"start": "2024-13-01"}, "start"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_actions_are_422_in_french(clean: Loaded, change: dict[str, Any], detail: str) -> None:
    answer = post(clean, point_action(**change))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert detail in answer.json()["detail"]


def test_roles(clean: Loaded) -> None:
    # A police chief records the CLSPD's actions in the page (issue 20).
    assert post(clean, point_action(), who="police").status_code == 201
    assert post(clean, point_action(), who="partner").status_code == 403
    assert post(clean, point_action(), who="admin").status_code == 201
    assert clean.client.get("/api/v1/actions", headers=clean.partner).status_code == 403
    partner = clean.client.get("/api/v1/actions/1/evaluation", headers=clean.partner)
    assert partner.status_code == 403 and "« partenaire »" in partner.json()["detail"]
    assert clean.client.get("/api/v1/actions").status_code == 401
    assert clean.client.get("/api/v1/actions/1/evaluation", headers=clean.police).status_code == 200


# -- evaluation --------------------------------------------------------------------------------


def reference_counts(loaded: Loaded, periods: dict[str, Any], buffer: float) -> dict[str, Any]:
    """Counts per area and period by a geopandas spatial join on PostGIS's own polygons."""
    with loaded.engine.connect() as conn:
        facts = pd.read_sql(
            text(
                "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, category_code, "
                "(occurred_at AT TIME ZONE 'Europe/Paris')::date AS day FROM incident"
            ),
            conn,
        )
        row = conn.execute(
            text(
                "SELECT ST_AsBinary(a.geom) AS treated, ST_AsBinary(ST_Buffer(a.geom::geography, "
                ":b, 'quad_segs=16')::geometry) AS disc, ST_AsBinary(c.geom) AS commune "
                "FROM action AS a, commune AS c WHERE a.id = 1 AND c.code = '31555'"
            ),
            {"b": buffer},
        ).one()
    treated, disc, commune = (shapely.from_wkb(bytes(w)) for w in row)
    facts = facts[facts["category_code"] == "vol_dans_vehicule"]
    points = gpd.GeoDataFrame(facts, geometry=gpd.points_from_xy(facts.lon, facts.lat), crs=4326)
    areas = gpd.GeoDataFrame(
        {"zone": ["treated", "buffer", "control"]},
        geometry=[treated, disc.difference(treated), commune.difference(disc)],
        crs=4326,
    )
    joined = gpd.sjoin(points, areas, predicate="intersects")
    out: dict[str, Any] = {}
    for period in ("before", "after"):
        first = date.fromisoformat(periods[period]["from"])
        last = date.fromisoformat(periods[period]["to"])
        inside = joined[(joined["day"] >= first) & (joined["day"] <= last)]
        out[period] = inside.groupby("zone").size().to_dict()
    return out


def test_evaluation_finds_the_planted_effect_and_counts_like_geopandas(clean: Loaded) -> None:
    assert post(clean, point_action()).status_code == 201
    answer = clean.client.get("/api/v1/actions/1/evaluation", headers=clean.analyst)
    assert answer.status_code == 200, answer.text
    e = answer.json()

    assert e["periods"]["before"] == {"from": "2023-01-01", "to": "2023-12-31", "days": 365}
    assert e["periods"]["after"] == {"from": "2024-01-01", "to": "2024-12-31", "days": 366}
    assert e["periods"]["seasonal"] and not e["periods"]["truncated"]
    assert e["parameters"]["control"]["kind"] == "default"
    assert "Toulouse" in e["parameters"]["control"]["label"]

    reference = reference_counts(clean, e["periods"], 200)
    for period in ("before", "after"):
        for zone in ("treated", "buffer", "control"):
            assert e["areas"][zone][period] == reference[period].get(zone, 0), (period, zone)
    with clean.engine.connect() as conn:  # the same count, set-based in PostGIS
        treated_after = conn.execute(
            text(
                "SELECT count(*) FROM incident AS i, action AS a WHERE a.id = 1 "
                "AND ST_Intersects(a.geom, i.geom) AND i.category_code = 'vol_dans_vehicule' "
                "AND (i.occurred_at AT TIME ZONE 'Europe/Paris')::date "
                "BETWEEN '2024-01-01' AND '2024-12-31'"
            )
        ).scalar_one()
    assert e["areas"]["treated"]["after"] == treated_after

    effect = e["relative_effect"]
    assert effect["odds_ratio"] > 1 and effect["relative_change"] < 0
    assert effect["relative_change_low"] <= -0.5 <= effect["relative_change_high"]
    assert effect["measurable"] and effect["significant"]
    ring = e["buffer_effect"]
    assert ring["relative_change_low"] <= 0.4 <= ring["relative_change_high"]
    assert e["displacement"]["interpretation"] in ("displacement", "displacement_greater")
    assert e["displacement"]["wdq"] < 0
    assert e["measurable"]
    assert "au-dessus de 1, les faits ont baissé" in e["direction"]
    text_all = " ".join(e["reading"])
    assert "Baisse relative de" in text_all and "Faits comptés : vol dans un véhicule" in text_all
    assert "Déplacement" in text_all
    assert e["areas"]["treated"]["area_m2"] == pytest.approx(math.pi * 150**2, rel=0.01)
    assert e["buffer_geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert not any(w["code"] == "regression_to_mean" for w in e["warnings"])
    assert e["regression_to_mean"]["judged"] and e["regression_to_mean"]["windows"] == 13


def test_regression_to_the_mean_is_flagged(clean: Loaded) -> None:
    body = point_action(
        PEAK, 100, title="Médiation de nuit", kind="mediation", categories=["cambriolage_logement"]
    )
    assert post(clean, body).status_code == 201
    e = clean.client.get("/api/v1/actions/1/evaluation", headers=clean.analyst).json()
    rtm = e["regression_to_mean"]
    assert rtm["judged"] and rtm["warning"] and rtm["share_below"] == 1.0
    warning = next(w for w in e["warnings"] if w["code"] == "regression_to_mean")
    assert "régression vers la moyenne" in warning["message"]
    assert e["relative_effect"]["relative_change"] < 0  # the burst fades: a « fall »


def test_small_counts_are_not_measurable(clean: Loaded) -> None:
    assert post(clean, point_action(QUIET, 60, title="Îlot calme")).status_code == 201
    # A 60 m radius is smaller than a resolution-10 cell: an analyst may not read its counts.
    refused = clean.client.get("/api/v1/actions/1/evaluation", headers=clean.analyst)
    assert refused.status_code == 403 and "Zone trop petite" in refused.json()["detail"]
    e = clean.client.get("/api/v1/actions/1/evaluation", headers=clean.police).json()
    assert (e["areas"]["treated"]["before"], e["areas"]["treated"]["after"]) == (3, 2)
    assert not e["measurable"] and not e["relative_effect"]["measurable"]
    assert e["reading"][2].startswith("Effet non mesurable avec ces effectifs")
    assert any(w["code"] == "small_counts" for w in e["warnings"])


def test_evaluation_parameters(clean: Loaded) -> None:
    assert post(clean, point_action(end="2024-06-30")).status_code == 201
    get = clean.client.get
    url = "/api/v1/actions/1/evaluation"
    by_end = get(url, params={"months": 6}, headers=clean.analyst).json()
    assert by_end["periods"]["after"]["from"] == "2024-07-01"
    assert by_end["periods"]["before"]["from"] == "2023-07-01"
    by_start = get(url, params={"months": 6, "after": "start"}, headers=clean.analyst).json()
    assert by_start["periods"]["after"] == {"from": "2024-01-01", "to": "2024-06-30", "days": 182}
    qpv = get(url, params={"control": "QN03107M"}, headers=clean.analyst)
    assert qpv.status_code == 200 and qpv.json()["parameters"]["control"]["kind"] == "qpv"
    wide = get(url, params={"buffer": 500}, headers=clean.analyst).json()
    assert wide["areas"]["buffer"]["area_m2"] > by_end["areas"]["buffer"]["area_m2"]
    for params, detail in [
        ({"control": "QN99999X"}, "inconnu"),
        ({"control": "ailleurs"}, "code INSEE"),
        ({"months": 0}, "months"),
        ({"buffer": 5}, "buffer"),
        ({"after": "milieu"}, "start ou end"),
    ]:
        answer = get(url, params=params, headers=clean.analyst)
        assert answer.status_code == 422, (params, answer.text)
        assert detail in answer.json()["detail"]


def test_a_control_area_recorded_with_the_action_is_used(clean: Loaded) -> None:
    west = shapely.box(1.40, 43.58, 1.43, 43.62)  # a block of western Toulouse
    body = point_action(control=json.loads(shapely.to_geojson(west)))
    assert post(clean, body).json()["properties"]["control_area"] is True
    e = clean.client.get("/api/v1/actions/1/evaluation", headers=clean.analyst).json()
    assert e["parameters"]["control"]["kind"] == "action"
    area = gpd.GeoSeries([west], crs=4326).to_crs(2154).area.iloc[0]
    assert e["areas"]["control"]["area_m2"] == pytest.approx(area, rel=0.01)
    bad = point_action(control={"type": "Point", "coordinates": [1.4, 43.6]})
    answer = post(clean, bad)
    assert answer.status_code == 422 and "zone témoin" in answer.json()["detail"]


def test_an_action_outside_every_commune_needs_a_control_area(clean: Loaded) -> None:
    paris = post(clean, point_action((2.3522, 48.8566), 100, title="Hors Toulouse"))
    assert paris.status_code == 201 and paris.json()["properties"]["commune"] is None
    answer = clean.client.get("/api/v1/actions/1/evaluation", headers=clean.analyst)
    assert answer.status_code == 422
    assert "n'est dans aucune commune importée" in answer.json()["detail"]
    chosen = clean.client.get(
        "/api/v1/actions/1/evaluation", params={"control": "31555"}, headers=clean.analyst
    )
    assert chosen.status_code == 200
    assert chosen.json()["parameters"]["control"]["label"].startswith("la commune de Toulouse")
    assert chosen.json()["areas"]["treated"]["before"] == 0


def test_an_action_too_old_or_too_recent_is_refused_in_french(clean: Loaded) -> None:
    assert post(clean, point_action(start="2021-06-01")).status_code == 201
    early = clean.client.get("/api/v1/actions/1/evaluation", headers=clean.analyst)
    assert early.status_code == 422
    assert "Les données commencent le 01/01/2021" in early.json()["detail"]
    assert "Choisissez moins de mois" in early.json()["detail"]
    with clean.engine.begin() as conn:
        conn.execute(text("TRUNCATE action RESTART IDENTITY"))

    assert post(clean, point_action(start="2025-06-20")).status_code == 201
    answer = clean.client.get("/api/v1/actions/1/evaluation", headers=clean.analyst)
    assert answer.status_code == 422
    assert "trop tôt pour évaluer" in answer.json()["detail"]
    assert post(clean, point_action(start="2026-01-01")).status_code == 201
    later = clean.client.get("/api/v1/actions/2/evaluation", headers=clean.analyst)
    assert "rien à comparer encore" in later.json()["detail"]


# -- the command line --------------------------------------------------------------------------


def run(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    return run_cli(args, DATABASE_URL=database_url)


def test_cli_add_list_and_evaluate(clean: Loaded, database_url: str, tmp_path: Path) -> None:
    added = run(
        [
            "actions", "add", "--title", "Caméras Capitole", "--ref", "FA-2.3",
            "--kind", "videoprotection", "--start", "2024-01-01",
            "--point", f"{CAPITOLE[0]},{CAPITOLE[1]}", "--radius", "150",
            "--categories", "vol_dans_vehicule", "--note", "six caméras",
        ],
        database_url,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("Action 1 enregistrée : Caméras Capitole (Vidéoprotection")
    street = tmp_path / "rue.geojson"
    street.write_text(
        json.dumps({"type": "LineString", "coordinates": [[1.44, 43.60], [1.445, 43.601]]})
    )
    line = run(
        ["actions", "add", "--title", "Éclairage", "--kind", "eclairage", "--start",
         "2024-02-01", "--line-file", str(street), "--buffer", "20", "--json"],
        database_url,
    )  # fmt: skip
    assert line.returncode == 0, line.stderr
    assert json.loads(line.stdout)["place_kind"] == "line"

    listed = run(["actions", "list", "--json"], database_url)
    assert listed.returncode == 0
    assert [a["title"] for a in json.loads(listed.stdout)] == ["Éclairage", "Caméras Capitole"]
    plain = run(["actions", "list"], database_url)
    assert "Caméras Capitole [FA-2.3]\tVidéoprotection\tdepuis le 01/01/2024" in plain.stdout

    evaluated = run(["actions", "evaluate", "1", "--json"], database_url)
    assert evaluated.returncode == 0, evaluated.stderr
    api = clean.client.get("/api/v1/actions/1/evaluation", headers=clean.analyst).json()
    assert json.loads(evaluated.stdout)["areas"] == api["areas"]
    said = run(["actions", "evaluate", "1"], database_url)
    assert "Baisse relative de" in said.stdout

    refused = run(
        ["actions", "add", "--title", "X", "--kind", "mediation", "--start", "2024-05-01",
         "--end", "2024-01-01", "--point", "1.44,43.6", "--radius", "50"],
        database_url,
    )  # fmt: skip
    assert refused.returncode == 1 and "est avant le début" in refused.stderr
    usage = run(
        ["actions", "add", "--title", "X", "--kind", "mediation", "--start", "2024-05-01",
         "--point", "1.44,43.6", "--radius", "50", "--polygon-file", str(street)],
        database_url,
    )  # fmt: skip
    assert usage.returncode == 2 and "d'une seule façon" in usage.stderr
    wrong = run(
        ["actions", "add", "--title", "X", "--kind", "mediation", "--start", "2024-05-01",
         "--polygon-file", str(street)],
        database_url,
    )  # fmt: skip
    assert wrong.returncode == 1 and "polygone" in wrong.stderr


# -- the CLSPD pack ----------------------------------------------------------------------------


def pack(loaded: Loaded, who: str = "analyst", **params: str) -> Any:
    query = {"commune": "31555", "from": "2024-01", "to": "2025-06", **params}
    return loaded.client.get("/api/v1/reports/pack", params=query, headers=getattr(loaded, who))


def test_pack_has_a_page_per_action(clean: Loaded, tmp_path: Path) -> None:
    assert post(clean, point_action()).status_code == 201
    assert post(clean, point_action(QUIET, 60, title="Îlot calme")).status_code == 201
    assert post(clean, point_action(start="2025-06-20", title="Trop récente")).status_code == 201
    assert post(clean, point_action(start="2025-08-01", title="Après le pack")).status_code == 201

    html = pack(clean, who="police", format="html")
    assert html.status_code == 200, html.text
    page = html.text
    assert page.count('<h2 id="actions">Évaluation des actions du CLSPD</h2>') == 1
    assert '<a href="#actions">' in page
    assert "Vidéoprotection place du Capitole (FA-2.3)" in page
    assert 'alt="Faits avant, après et attendus' in page
    assert "Baisse relative de" in page and "Effet non mesurable avec ces effectifs" in page
    assert "Évaluation impossible pour l&#x27;instant" in page and "trop tôt pour évaluer" in page
    assert "Après le pack" not in page  # begun after the pack's period

    # An analyst's pack evaluates within the analyst's limits: the 60 m zone is not read.
    analyst = pack(clean, format="html").text
    assert "Zone trop petite pour une évaluation lue par un analyste" in analyst
    pdf = pack(clean, who="police", format="pdf")
    assert pdf.status_code == 200
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf.content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    # The cover, the key messages, 7 sections, 3 actions, the annex.
    assert re.search(r"^Pages:\s+13$", info.stdout, re.M)
    texts = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    assert "Évaluation des actions du CLSPD — page 10" in texts[0]
    assert "Annexe : Méthodes — page 13" in texts[0]
    assert texts[9].lstrip().startswith("Évaluation des actions du CLSPD")
    assert "Vidéoprotection place du Capitole (FA-2.3)" in texts[9]
    assert "Zone traitée" in texts[9] and "Quotient de déplacement (WDQ)" in texts[9]
    assert "Effet non mesurable avec ces effectifs" in texts[10]

    # Evaluations count facts by day in small areas: the partner release does not hold them.
    partner = pack(clean, who="partner", format="html").text
    assert "Vidéoprotection place du Capitole" not in partner
    assert "Baisse relative de" not in partner
