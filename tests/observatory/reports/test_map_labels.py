"""Names on the pack's maps: commune and QPV always, streets along their lines on a close map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from shapely.geometry import LineString, box
from sqlalchemy import Engine, text

from observatory.places.store import load_streets
from observatory.reports.map_labels import commune_streets, place_labels
from observatory.reports.maps import _project
from observatory.reports.model import Area

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "samples" / "adresses-31-extrait.csv.gz"
# A village of 2 km by 1.5 km near Toulouse, in WGS84.
VILLAGE = box(1.40, 43.60, 1.425, 43.6135)


def drawn(commune: Area, qpvs: list[Area], streets: list[tuple[str, LineString]]) -> list:
    fig = Figure(figsize=(7, 7.4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.17, 0.98, 0.82))
    ax.set_aspect("equal")
    corners = _project(np.asarray(commune.geometry.exterior.coords))
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    place_labels(ax, commune, qpvs, streets, _project)
    fig.canvas.draw()
    return ax.texts


def test_a_village_map_names_its_streets_along_them_and_its_qpv() -> None:
    commune = Area("31999", "Villeneuve-d'Essai", None, VILLAGE)
    qpv = Area("QN03199X", "Les Tilleuls", None, box(1.405, 43.602, 1.41, 43.605))
    streets = [
        # Running south-west: drawn from the east, its name must still read left to right.
        ("Avenue de la Gare", LineString([(1.422, 43.612), (1.403, 43.601)])),
        ("Rue du Moulin", LineString([(1.41, 43.6015), (1.41, 43.612)])),
        ("Impasse des Lilas", LineString([(1.4151, 43.6071), (1.4152, 43.6072)])),  # 15 m
    ]
    texts = {t.get_text(): t for t in drawn(commune, [qpv], streets)}
    assert {"Villeneuve-d'Essai", "Les Tilleuls", "Avenue de la Gare", "Rue du Moulin"} <= set(
        texts
    )
    assert "Impasse des Lilas" not in texts  # shorter than its name
    gare = texts["Avenue de la Gare"].get_rotation()  # matplotlib gives 0 to 360
    assert 20 < gare < 45  # up to the right, as the avenue runs on the map
    moulin = texts["Rue du Moulin"].get_rotation()
    # North-south, turned a quarter (give or take Lambert-93's meridian convergence, ~1°).
    assert min(abs(moulin - 90), abs(moulin - 270)) < 2
    west, east = _project(np.array([[1.405, 43.602], [1.41, 43.605]]))[:, 0]
    assert west < texts["Les Tilleuls"].get_position()[0] < east


def test_a_town_map_names_no_street(boundaries: Engine) -> None:
    load_streets(boundaries, [SAMPLE])
    with boundaries.connect() as conn:
        toulouse = conn.execute(
            text("SELECT ST_AsBinary(geom) FROM commune WHERE code = '31555'")
        ).scalar_one()
        outline = shapely.from_wkb(bytes(toulouse))
        assert commune_streets(conn, "31555", outline) == []
        near = commune_streets(conn, "31555", VILLAGE)
        stored = conn.execute(
            text("SELECT count(*) FROM street WHERE commune_code = '31555'")
        ).scalar_one()
    assert 0 < len(near) == min(stored, 400)
    assert all(isinstance(name, str) and line.length > 0 for name, line in near)
