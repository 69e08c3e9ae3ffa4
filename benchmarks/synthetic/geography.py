"""The commune, its QPV and hotspots, and where in it the facts fall (points, addresses)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from benchmarks.synthetic.components import Component
from benchmarks.synthetic.places import NAMED_HOTSPOTS, STREETS, Hotspot

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0


@dataclass(frozen=True)
class Area:
    """A commune: its INSEE code, its outline, its hotspots and its QPV."""

    code_insee: str
    polygon: BaseGeometry
    hotspots: tuple[Hotspot, ...]
    qpv: tuple[Hotspot, ...]


def _read_features(path: Path) -> list[dict[str, Any]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    features: list[dict[str, Any]] = data["features"]
    return features


def load_area(commune_geojson: Path, qpv_geojson: Sequence[Path]) -> Area:
    """The commune of a one-feature GeoJSON, with the named places and QPV centres inside it."""
    features = _read_features(commune_geojson)
    if len(features) != 1:
        raise ValueError(f"{commune_geojson}: expected one commune, found {len(features)}")
    props = features[0]["properties"]
    code = next(
        (
            str(props[k])
            for k in ("code_commune", "code_insee", "insee_com", "codgeo")
            if k in props
        ),
        None,
    )
    if code is None:
        raise ValueError(f"{commune_geojson}: no INSEE code property")
    polygon = shapely.make_valid(shape(features[0]["geometry"]))
    shapely.prepare(polygon)

    def inside(lon: float, lat: float) -> bool:
        return bool(shapely.contains_xy(polygon, lon, lat))

    named = tuple(h for h in NAMED_HOTSPOTS if inside(h.lon, h.lat))
    qpv: list[Hotspot] = []
    for path in qpv_geojson:
        for feature in _read_features(path):
            p = feature["properties"]
            outline = shapely.make_valid(shape(feature["geometry"]))
            point = outline.point_on_surface()
            if not inside(point.x, point.y):
                continue
            area_m2 = outline.area * _M_PER_DEG_LAT * _M_PER_DEG_LON_EQUATOR
            area_m2 *= math.cos(math.radians(point.y))
            sigma = min(350.0, max(120.0, 0.35 * math.sqrt(area_m2)))
            name = f"{p.get('code_qp', '')} {p.get('lib_qp') or p.get('nom_qp') or ''}".strip()
            qpv.append(Hotspot(name, "qpv", point.x, point.y, sigma, 1.0, outline))
    qpv.sort(key=lambda h: h.name)
    # A QPV centre closer than 400 m to a named centre (or to another QPV, e.g. the same
    # neighbourhood in two generations) adds no new place.
    kept: list[Hotspot] = []
    for h in qpv:
        if all(_distance_m(h, other) > 400 for other in (*named, *kept)):
            kept.append(h)
    if not any(h.kind == "centre" for h in named):
        point = polygon.representative_point()
        named = (*named, Hotspot("centre", "centre", point.x, point.y, 400.0))
    return Area(code, polygon, (*named, *kept), tuple(qpv))


def _distance_m(a: Hotspot, b: Hotspot) -> float:
    dx = (a.lon - b.lon) * _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(a.lat))
    dy = (a.lat - b.lat) * _M_PER_DEG_LAT
    return math.hypot(dx, dy)


def anchor_hotspot(area: Area, keys: tuple[str, ...], fallback: int) -> Hotspot:
    """The QPV whose name contains one of `keys`; else the `fallback`-th QPV; else the centre."""
    for key in keys:
        for h in area.qpv:
            if key.lower() in h.name.lower():
                return h
    if area.qpv:
        return area.qpv[min(fallback, len(area.qpv) - 1)]
    return next(h for h in area.hotspots if h.kind == "centre")


def sample_points(
    rng: np.random.Generator,
    n: int,
    sources: list[Hotspot | None],
    probabilities: np.ndarray,
    polygon: BaseGeometry,
    within: BaseGeometry | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """n points (lon, lat rounded to 1e-6) inside the polygon: each from a source drawn with the
    given probabilities, a hotspot (Gaussian around its centre) or None (uniform)."""
    west, south, east, north = polygon.bounds
    source = rng.choice(len(sources), size=n, p=probabilities)
    centre_lon = np.array([h.lon if h else np.nan for h in sources])[source]
    centre_lat = np.array([h.lat if h else np.nan for h in sources])[source]
    sigma = np.array([h.sigma_m if h else np.nan for h in sources])[source]
    diffuse = np.isnan(sigma)
    metres_per_deg_lon = _M_PER_DEG_LON_EQUATOR * np.cos(np.radians((south + north) / 2))
    lon = np.empty(n)
    lat = np.empty(n)
    todo = np.arange(n)
    for attempt in range(60):
        if attempt == 40:  # a hotspot hard against the border: the rest becomes diffuse
            diffuse[todo] = True
        m = todo.size
        d = diffuse[todo]
        gx = rng.standard_normal(m) * np.nan_to_num(sigma[todo]) / metres_per_deg_lon
        gy = rng.standard_normal(m) * np.nan_to_num(sigma[todo]) / _M_PER_DEG_LAT
        ux = rng.uniform(west, east, m)
        uy = rng.uniform(south, north, m)
        x = np.round(np.where(d, ux, centre_lon[todo] + gx), 6)
        y = np.round(np.where(d, uy, centre_lat[todo] + gy), 6)
        ok = shapely.contains_xy(polygon, x, y)
        if within is not None:
            ok &= shapely.contains_xy(within, x, y) | d
        lon[todo[ok]] = x[ok]
        lat[todo[ok]] = y[ok]
        todo = todo[~ok]
        if todo.size == 0:
            return lon, lat
    raise RuntimeError("could not place points inside the commune")  # pragma: no cover


def street_addresses(rng: np.random.Generator, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The nearest listed street and a house number: "12 rue Bayard", sometimes in capitals."""
    streets = np.array([s[0] for s in STREETS], dtype=object)
    s_lon = np.array([s[1] for s in STREETS])
    s_lat = np.array([s[2] for s in STREETS])
    scale = math.cos(math.radians(float(np.mean(s_lat))))
    nearest = np.empty(lon.size, dtype=np.intp)
    for i in range(0, lon.size, 200_000):
        dx = (lon[i : i + 200_000, None] - s_lon[None, :]) * scale
        dy = lat[i : i + 200_000, None] - s_lat[None, :]
        nearest[i : i + 200_000] = np.argmin(dx * dx + dy * dy, axis=1)
    number = np.minimum(rng.geometric(0.045, lon.size), 199).astype(str).astype(object)
    text = number + " " + streets[nearest]
    bare = rng.random(lon.size) < 0.06
    text[bare] = streets[nearest[bare]]
    upper = rng.random(lon.size) < 0.08
    text[upper] = np.array([t.upper() for t in text[upper]], dtype=object)
    return text


def place_sources(component: Component, area: Area) -> tuple[list[Hotspot | None], np.ndarray]:
    """The places of a component and their probabilities; absent kinds go to the background."""
    sources: list[Hotspot | None] = [None]
    weights = [0.0]
    for kind, weight in component.places:
        members = [h for h in area.hotspots if h.kind == kind]
        if kind == "background" or not members:
            weights[0] += weight
            continue
        total = sum(h.weight for h in members)
        for h in members:
            sources.append(h)
            weights.append(weight * h.weight / total)
    probabilities = np.asarray(weights)
    return sources, probabilities / probabilities.sum()
