"""A generated incident file for the engine equality tests, and its analyses done in pandas.

The file is written in the French municipal format (``date_debut;heure_debut;date_fin;...``,
local wall times, dd/mm/yyyy) and imported by the real importer; the reference never reads the
database. It reads the CSV back with pandas and applies the rules the importer documents
(ingest/incidents/dates.py): a wall time in the spring gap is moved forward by the gap
(02:30 → 03:30 local), a repeated autumn wall time is its first occurrence (summer time), an
end equal to the start is a point, an end before the start is rejected. Communes and QPV come from a
geopandas spatial join on the sample polygons, predicate "intersects" (the importer's: a boundary
point is inside), the polygons repaired with make_valid as the boundary importer does
(ST_MakeValid).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd

from observatory.categories import CATEGORIES
from observatory.settings import PROJECT_ROOT

ZONE = "Europe/Paris"
SAMPLES = PROJECT_ROOT / "data" / "samples"
COMMUNES = SAMPLES / "communes_toulouse.geojson"
QPV_FILES = {2015: SAMPLES / "qpv2015_toulouse.geojson", 2024: SAMPLES / "qpv2024_toulouse.geojson"}
TOULOUSE_BBOX = (1.3503, 43.5326, 1.5153, 43.6687)  # the sample commune's extent
FILTER_BBOX = (1.40, 43.57, 1.47, 43.63)  # a bbox filter; some facts lie exactly on its edges
FIRST_DAY, LAST_DAY = date(2023, 1, 1), date(2024, 12, 31)
HEADER = "reference;date_debut;heure_debut;date_fin;heure_fin;categorie;longitude;latitude"

FAMILY = {c.code: c.family for c in CATEGORIES}
LABEL = {c.code: c.label for c in CATEGORIES}
# Written by their French label, as the towns' tools do; the reference maps labels back itself.
USED = (
    "cambriolage_logement",
    "vol_simple",
    "vol_tire",
    "violences_physiques",
    "menaces",
    "rixe",
    "rodeo_urbain",
    "vol_velo",
)
CODE_OF_LABEL = {LABEL[c]: c for c in USED}


@dataclass(frozen=True)
class Row:
    """One line of the file: wall times as ``YYYY-MM-DD HH:MM:SS`` (end "" for a point)."""

    reference: str
    start: str
    end: str
    category: str
    lon: str
    lat: str


def _wall(stamp: str) -> tuple[str, str]:
    """A wall time as the file splits it: 2024-03-31 02:30:00 -> 31/03/2024 and 02:30:00."""
    day, time = stamp.split(" ")
    year, month, dom = day.split("-")
    return f"{dom}/{month}/{year}", time


def write_csv(rows: Iterable[Row], path: Path) -> int:
    lines = [HEADER]
    for r in rows:
        start_day, start_time = _wall(r.start)
        end_day, end_time = _wall(r.end) if r.end else ("", "")
        fields = [r.reference, start_day, start_time, end_day, end_time, LABEL[r.category]]
        lines.append(";".join([*fields, r.lon, r.lat]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def boundary_vertex(path: Path, code: str) -> tuple[str, str]:
    """A vertex of a sample polygon, as text that parses back to the same doubles."""
    frame = gpd.read_file(path)
    shape = frame.loc[frame["code_qp"] == code, "geometry"].iloc[0]
    polygon = shape.geoms[0] if shape.geom_type == "MultiPolygon" else shape
    x, y = polygon.exterior.coords[3]
    return repr(float(x)), repr(float(y))


def special_rows() -> list[Row]:
    """The facts placed on purpose: changes of clock, month edges, bbox edges, boundaries."""
    w, s, e, n = (repr(v) for v in FILTER_BBOX)
    lon, lat = "1.444400", "43.604500"  # the Capitole: Toulouse, in no QPV
    rows = [
        # Spring 2024: 02:xx does not exist (moved to 03:xx); autumn 2024: 02:xx twice.
        Row("S01", "2024-03-31 01:30:00", "", "rixe", lon, lat),
        Row("S02", "2024-03-31 02:30:00", "", "rixe", lon, lat),
        Row("S03", "2024-03-31 03:30:00", "", "rixe", lon, lat),
        Row("S04", "2024-10-27 01:30:00", "", "rixe", lon, lat),
        Row("S05", "2024-10-27 02:30:00", "", "rixe", lon, lat),
        Row("S06", "2024-10-27 03:30:00", "", "rixe", lon, lat),
        Row("S07", "2023-03-26 02:15:00", "", "menaces", lon, lat),
        Row("S08", "2023-10-29 02:45:00", "", "menaces", lon, lat),
        # Nights across the changes of clock: 8 real hours in spring, 10 in autumn.
        Row("S10", "2024-03-30 22:00:00", "2024-03-31 07:00:00", "cambriolage_logement", lon, lat),
        Row("S11", "2024-10-26 22:00:00", "2024-10-27 07:00:00", "cambriolage_logement", lon, lat),
        Row("S12", "2024-10-27 01:15:00", "2024-10-27 02:45:00", "vol_simple", lon, lat),
        Row("S13", "2024-03-31 01:45:00", "2024-03-31 02:15:00", "vol_simple", lon, lat),
        Row("S14", "2023-10-28 23:00:00", "2023-10-29 05:00:00", "cambriolage_logement", lon, lat),
        Row("S15", "2024-03-31 02:30:00", "2024-03-31 03:30:00", "vol_simple", lon, lat),  # a point
        Row("S16", "2024-03-31 02:50:00", "2024-03-31 03:10:00", "vol_simple", lon, lat),  # reject
        # Month and year edges, in winter and summer time.
        Row("S20", "2024-01-31 23:59:59", "", "vol_tire", lon, lat),
        Row("S21", "2024-02-01 00:00:00", "", "vol_tire", lon, lat),
        Row("S22", "2024-02-29 23:59:00", "", "vol_tire", lon, lat),
        Row("S23", "2024-03-01 00:00:00", "", "vol_tire", lon, lat),
        Row("S24", "2024-06-30 23:59:59", "", "vol_tire", lon, lat),
        Row("S25", "2024-07-01 00:00:00", "", "vol_tire", lon, lat),
        Row("S26", "2023-12-31 23:59:59", "", "vol_tire", lon, lat),
        Row("S27", "2024-01-01 00:00:00", "", "vol_tire", lon, lat),
        Row("S28", "2023-01-01 00:00:00", "", "vol_tire", lon, lat),
        Row("S29", "2024-12-31 23:59:59", "", "vol_tire", lon, lat),
        # Intervals on hour and week boundaries, and one longer than a week.
        Row("S30", "2024-05-06 10:00:00", "2024-05-06 12:00:00", "vol_velo", lon, lat),
        Row("S31", "2024-05-06 10:15:00", "2024-05-06 10:20:00", "vol_velo", lon, lat),
        Row("S32", "2024-05-05 22:00:00", "2024-05-06 00:00:00", "vol_velo", lon, lat),
        Row("S33", "2024-02-25 18:30:00", "2024-03-05 06:10:00", "vol_velo", lon, lat),
        Row("S34", "2024-01-31 23:30:00", "2024-02-01 00:30:00", "vol_velo", lon, lat),
        # The bbox filter's edges and corners (included), and just outside.
        Row("S40", "2024-04-10 12:00:00", "", "rodeo_urbain", w, "43.600000"),
        Row("S41", "2024-04-10 12:00:00", "", "rodeo_urbain", e, "43.600000"),
        Row("S42", "2024-04-10 12:00:00", "", "rodeo_urbain", "1.430000", s),
        Row("S43", "2024-04-10 12:00:00", "", "rodeo_urbain", "1.430000", n),
        Row("S44", "2024-04-10 12:00:00", "", "rodeo_urbain", w, n),
        Row("S45", "2024-04-10 12:00:00", "", "rodeo_urbain", "1.399999", "43.600000"),
        Row("S46", "2024-04-10 12:00:00", "", "rodeo_urbain", "1.430000", "43.630001"),
        # The commune's extent: its corner lies outside the commune itself.
        Row("S47", "2024-04-11 09:00:00", "", "rodeo_urbain", "1.3503", "43.5326"),
    ]
    # On a QPV boundary (a vertex of each generation's polygon): inside for "intersects".
    for i, (generation, code) in enumerate(((2024, "QN03107M"), (2015, "QP031010"))):
        x, y = boundary_vertex(QPV_FILES[generation], code)
        rows.append(Row(f"S5{i}", "2024-04-12 15:00:00", "", "menaces", x, y))
    return rows


def random_rows(seed: int, count: int) -> list[Row]:
    """Facts over 2023–2024: 15 % intervals (a minute to a week), 30 % drawn inside QPV boxes."""
    rng = np.random.default_rng(seed)
    first = np.datetime64(FIRST_DAY.isoformat(), "s")
    span = int((np.datetime64(LAST_DAY.isoformat(), "s") - first).astype(np.int64)) + 86400
    start = first + rng.integers(0, span, count).astype("timedelta64[s]")
    interval = rng.random(count) < 0.15
    seconds = np.exp(rng.uniform(np.log(60), np.log(7 * 86400), count)).astype(np.int64)
    on_hours = rng.random(count) < 0.2  # some on whole hours, to hit the block edges exactly
    start = np.where(
        interval & on_hours, start.astype("datetime64[h]").astype("datetime64[s]"), start
    )
    seconds = np.where(on_hours, np.maximum(seconds // 3600, 1) * 3600, seconds)
    end = start + seconds.astype("timedelta64[s]")
    boxes = np.concatenate(
        [gpd.read_file(p).geometry.bounds.to_numpy() for p in QPV_FILES.values()]
    )
    in_qpv = rng.random(count) < 0.3
    box = boxes[rng.integers(0, len(boxes), count)]
    west, south, east, north = (np.where(in_qpv, box[:, i], TOULOUSE_BBOX[i]) for i in range(4))
    lon = west + rng.random(count) * (east - west)
    lat = south + rng.random(count) * (north - south)
    category = np.array(USED)[rng.integers(0, len(USED), count)]
    start_text = np.datetime_as_string(start, unit="s")
    end_text = np.datetime_as_string(end, unit="s")
    return [
        Row(
            f"R{i:05d}",
            start_text[i].replace("T", " "),
            end_text[i].replace("T", " ") if interval[i] else "",
            str(category[i]),
            f"{lon[i]:.6f}",
            f"{lat[i]:.6f}",
        )
        for i in range(count)
    ]


# -- the reference: pandas and geopandas on the file -------------------------------------------


def _utc(wall: pd.Series) -> pd.Series:
    """Wall times to UTC by the importer's documented rule (gap: forward by the gap; repeated
    hour: the first occurrence, in summer time)."""
    local = wall.dt.tz_localize(
        ZONE, ambiguous=np.ones(len(wall), dtype=bool), nonexistent=pd.Timedelta(hours=1)
    )
    return local.dt.tz_convert("UTC")


def _area_codes(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, predicate: str) -> pd.Series:
    """The code of the area each point falls in (the smallest when several), None outside."""
    joined = gpd.sjoin(points, areas[["code", "geometry"]], how="left", predicate=predicate)
    return joined.groupby(level=0)["code"].min().reindex(points.index)


def load_areas() -> tuple[gpd.GeoDataFrame, dict[int, gpd.GeoDataFrame]]:
    communes = gpd.read_file(COMMUNES).rename(columns={"code_commune": "code"})
    qpv = {}
    for generation, path in QPV_FILES.items():
        frame = gpd.read_file(path).rename(columns={"code_qp": "code"})
        frame["geometry"] = frame.geometry.make_valid()
        qpv[generation] = frame
    communes["geometry"] = communes.geometry.make_valid()
    return communes, qpv


@dataclass
class Reference:
    """The facts of the file as pandas reads them: one row per imported fact, and the hour
    blocks of the interval facts (fact position, local hour of the week, share)."""

    facts: pd.DataFrame
    blocks: pd.DataFrame
    rejected: int
    within_differs: set[str]

    @classmethod
    def of(cls, paths: Iterable[Path]) -> Reference:
        frame = pd.concat(
            [pd.read_csv(p, sep=";", dtype=str, keep_default_na=False) for p in paths],
            ignore_index=True,
        )
        fmt = "%d/%m/%Y %H:%M:%S"
        start = _utc(pd.to_datetime(frame["date_debut"] + " " + frame["heure_debut"], format=fmt))
        has_end = frame["date_fin"] != ""
        end_wall = pd.to_datetime(
            (frame["date_fin"] + " " + frame["heure_fin"]).where(has_end), format=fmt
        )
        end = _utc(end_wall)
        rejected = has_end & (end < start)
        keep = ~rejected
        frame, start, end = frame[keep], start[keep], end[keep]
        start_s = _epoch_seconds(start)
        until_s = np.where(end > start, _epoch_seconds(end.fillna(start)), -1)  # -1: a point
        local = start.dt.tz_convert(ZONE)
        lon = frame["longitude"].astype(float).to_numpy()
        lat = frame["latitude"].astype(float).to_numpy()
        facts = pd.DataFrame(
            {
                "reference": frame["reference"].to_numpy(),
                "start_s": start_s,
                "until_s": until_s,
                "day": local.dt.date.to_numpy(),
                "weekday": local.dt.day_of_week.to_numpy() + 1,
                "hour": local.dt.hour.to_numpy(),
                "category": frame["categorie"].map(CODE_OF_LABEL).to_numpy(),
                "lon": lon,
                "lat": lat,
            }
        )
        assert facts["category"].notna().all()
        facts["family"] = facts["category"].map(FAMILY)
        facts["how"] = (facts["weekday"] - 1) * 24 + facts["hour"]
        facts["month"] = (
            local.dt.tz_localize(None).dt.to_period("M").dt.start_time.dt.date.to_numpy()
        )
        facts["week"] = [d - timedelta(days=d.weekday()) for d in facts["day"]]
        cells = [h3.str_to_int(h3.latlng_to_cell(y, x, 12)) for x, y in zip(lon, lat, strict=True)]
        facts["h3_12"] = cells
        for resolution in (6, 9, 11):
            facts[f"h3_{resolution}"] = [
                h3.str_to_int(h3.cell_to_parent(h3.int_to_str(c), resolution)) for c in cells
            ]
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
        communes, qpv = load_areas()
        facts["commune"] = _area_codes(points, communes, "intersects").to_numpy()
        within_differs: set[str] = set()
        for generation, areas in qpv.items():
            codes = _area_codes(points, areas, "intersects")
            strictly = _area_codes(points, areas, "within")
            facts[f"qpv_{generation}"] = codes.to_numpy()
            differs = codes.fillna("") != strictly.fillna("")
            within_differs |= set(facts.loc[differs.to_numpy(), "reference"])
        strictly = _area_codes(points, communes, "within")
        differs = facts["commune"].fillna("").to_numpy() != strictly.fillna("").to_numpy()
        within_differs |= set(facts.loc[differs, "reference"])
        return cls(facts, _blocks(facts), int(rejected.sum()), within_differs)

    def keep(self, mask: np.ndarray) -> Reference:
        """The same reference with only some facts (and their hour blocks)."""
        facts = self.facts[mask]
        blocks = self.blocks[self.blocks["fact"].isin(facts.index)]
        return Reference(facts, blocks, self.rejected, self.within_differs)


def _epoch_seconds(instants: pd.Series) -> np.ndarray:
    return ((instants - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(np.int64)


def _blocks(facts: pd.DataFrame) -> pd.DataFrame:
    """Every UTC hour block each interval fact touches ([start, until) half-open, at least one),
    converted to local time by pandas block by block, each with the share 1 / its fact's blocks."""
    position: list[int] = []
    hours: list[int] = []
    share: list[float] = []
    intervals = facts[facts["until_s"] >= 0]
    for i, start, until in zip(
        intervals.index, intervals["start_s"], intervals["until_s"], strict=True
    ):
        touched = range(start // 3600, -(-until // 3600))
        position += [i] * len(touched)
        hours += list(touched)
        share += [1.0 / len(touched)] * len(touched)
    local = pd.to_datetime(np.array(hours, dtype=np.int64) * 3600, unit="s", utc=True)
    local = local.tz_convert(ZONE)
    return pd.DataFrame(
        {
            "fact": position,
            "how": np.asarray(local.day_of_week) * 24 + np.asarray(local.hour),
            "share": share,
        }
    )
