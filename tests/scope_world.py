"""Two communes side by side for the scope tests: Toulouse (31555) and Blagnac (31069).

Each has its facts (imported in a batch of its own, with a rejected row), a QPV, an action, an
état 4001 service, and an audit row of an actor scoped to it; the tokens are scoped to
Toulouse, to every commune, and to both. What belongs to Blagnac carries markers (its code,
its name, « BLG- » references, its QPV code, its service's name) that a scoped answer must
never hold, and its facts' cells at every resolution are listed where Toulouse has none.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h3
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from observatory import audit
from observatory.db import make_sessionmaker
from observatory.settings import Settings
from tests.conftest import TEST_SECRET, _truncate_all, api_settings, auth
from tests.samples import FACTS_HEADER, SAMPLES

TOULOUSE, BLAGNAC = "31555", "31069"
BLAGNAC_QPV = "QN031BLG"
ROLES = ("admin", "police", "analyst", "partner")
# What no answer to a caller scoped to Toulouse may hold (compared case-insensitively): the
# other communes' codes and names, Blagnac's references, QPV, service, action, audit actor.
MARKERS = (
    BLAGNAC,
    "blagnac",
    "BLG-",
    BLAGNAC_QPV,
    "31157",
    "cugnaux",
    "31149",
    "colomiers",
)
NATURES = ("Tapage", "Vol simple", "Cambriolage")
# The saved mapping of each commune: (name, commune, a category label of its own).
MAPPINGS = (
    ("pm-toulouse", TOULOUSE, "Tapage place du Capitole"),
    ("pm-voisine", BLAGNAC, "Tapage place de Blagnac"),
)


@dataclass
class ScopeWorld:
    client: TestClient
    engine: Engine
    config: Settings
    # Headers by name: « tls-police » (scoped to Toulouse), « all-police » (every commune),
    # « duo-partner » (Toulouse and Blagnac).
    who: dict[str, dict[str, str]]
    batches: dict[str, int]
    actions: dict[str, int]
    toulouse_points: list[tuple[float, float]]
    blagnac_points: list[tuple[float, float]]
    # The h3 cells (hexadecimal), resolutions 6 to 11, of Blagnac's facts wholly outside
    # Toulouse.
    blagnac_cells: set[str] = field(default_factory=set)

    def get(self, path: str, params: dict[str, Any], who: str) -> Any:
        return self.client.get(f"/api/v1{path}", params=params, headers=self.who[who])


def points_in(geometry: Any, count: int, step: float = 0.004) -> list[tuple[float, float]]:
    """Points of a grid that lie inside the geometry, around its representative point."""
    centre = geometry.representative_point()
    found: list[tuple[float, float]] = []
    for ring in range(0, 12):
        for dx in range(-ring, ring + 1):
            for dy in range(-ring, ring + 1):
                if max(abs(dx), abs(dy)) != ring:
                    continue
                lon, lat = round(centre.x + dx * step, 6), round(centre.y + dy * step, 6)
                if geometry.contains(shapely.Point(lon, lat)):
                    found.append((lon, lat))
                if len(found) == count:
                    return found
    return found


def commune_shape(name: str, code: str) -> Any:
    document = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    for feature in document["features"]:
        if feature["properties"]["code_commune"] == code:
            return shapely.geometry.shape(feature["geometry"])
    raise AssertionError(code)


def fact_rows(prefix: str, code: str, points: list[tuple[float, float]], seed: int) -> list[str]:
    """One fact per point and a second on every other one, over 2024, at varied hours."""
    chance = random.Random(seed)
    rows = []
    for n, (lon, lat) in enumerate(points + points[::2]):
        day = f"{chance.randint(1, 28):02d}/{chance.randint(1, 12):02d}/2024"
        hour = f"{chance.randint(0, 23):02d}:{chance.choice(('05', '35'))}"
        nature = NATURES[n % 3]
        address = f"{n + 1} rue {'Secrète Blagnac' if code == BLAGNAC else 'du Taur'}"
        rows.append(
            ";".join(
                (f"{prefix}{n + 1}", day, hour, "", "", nature, address, code, f"{lon}", f"{lat}")
            )
        )
    # A row the import rejects (an unknown nature), its address telling its commune.
    lon, lat = points[0]
    rows.append(f"{prefix}X;01/03/2024;10:00;;;Nature inconnue;{address};{code};{lon};{lat}")
    return rows


def import_file(engine: Engine, config: Settings, folder: Path, name: str, rows: list[str]) -> int:
    from ingest.incidents import import_incidents

    path = folder / name
    path.write_text("\n".join([FACTS_HEADER, *rows]) + "\n", encoding="utf-8")
    summary = import_incidents(engine, path, settings=config, source=name.removesuffix(".csv"))
    assert summary.rows_rejected == 1 and summary.rows_imported == len(rows) - 1, summary
    return summary.batch_id


def only_cells(mine: list[tuple[float, float]], theirs: Any) -> set[str]:
    """The cells (6 to 11) of the facts at ``mine`` that lie wholly outside the geometry
    ``theirs``: they can hold no fact of it (a cell across the boundary may show in its
    answers, with its own facts or a partner release's noise)."""
    found: set[str] = set()
    # The engine's cells are the parents of the resolution-11 cells (observatory/grid.py).
    own11 = {h3.latlng_to_cell(lat, lon, 11) for lon, lat in mine}
    for res in range(6, 12):
        for cell in {h3.cell_to_parent(c, res) for c in own11}:
            outline = shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])
            if not outline.intersects(theirs):
                found.add(cell)
    return found


def load_world(engine: Engine, config: Settings, folder: Path) -> dict[str, Any]:
    """Boundaries, the Blagnac QPV, both communes' facts, services, audit rows."""
    from ingest.boundaries import import_communes
    from observatory.etat4001.services import Mapping, map_communes
    from tests.samples import load_boundaries

    load_boundaries(engine)
    import_communes(engine, SAMPLES / "communes_voisines_toulouse.geojson")
    toulouse = points_in(commune_shape("communes_toulouse.geojson", TOULOUSE), 24)
    blagnac = points_in(commune_shape("communes_voisines_toulouse.geojson", BLAGNAC), 24)
    lon, lat = blagnac[0]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO qpv (code, name, generation, commune_codes, department, population, "
                "geom) VALUES (:code, 'Quartier Blagnac', 2024, ARRAY['31069'], '31', 1500, "
                "ST_Multi(ST_MakeEnvelope(:w, :s, :e, :n, 4326)))"
            ),
            {
                "code": BLAGNAC_QPV,
                "w": lon - 0.005,
                "s": lat - 0.005,
                "e": lon + 0.005,
                "n": lat + 0.005,
            },
        )
    batches = {
        TOULOUSE: import_file(
            engine, config, folder, "toulouse.csv", fact_rows("TLS-", TOULOUSE, toulouse, 1)
        ),
        BLAGNAC: import_file(
            engine, config, folder, "blagnac.csv", fact_rows("BLG-", BLAGNAC, blagnac, 2)
        ),
    }
    with engine.begin() as conn:
        services = (("CSP TOULOUSE", "PN", 11), ("BRIGADE DE BLAGNAC", "GN", 7), ("", "PN", 60))
        for service, perimeter, count in services:
            for month in ("2024-01", "2024-02", "2024-03"):
                for index in (1, 27):
                    conn.execute(
                        text(
                            "INSERT INTO etat4001 (period, perimeter, department, service, "
                            "\"index\", count) VALUES (:p, :perimeter, '31', :s, :i, :c)"
                        ),
                        {"p": month, "perimeter": perimeter, "s": service, "i": index, "c": count},
                    )
        map_communes(conn, Mapping("PN", "31", "CSP TOULOUSE", (TOULOUSE,)), replace=True)
        map_communes(conn, Mapping("GN", "31", "BRIGADE DE BLAGNAC", (BLAGNAC,)), replace=True)
    with make_sessionmaker(engine).begin() as session:
        for actor, communes in (("agent-blagnac", {BLAGNAC}), ("agent-toulouse", {TOULOUSE})):
            audit.record(
                session,
                token_id=None,
                actor=actor,
                role="police",
                action="incidents",
                filters={},
                row_count=1,
                communes=frozenset(communes),
            )
    from ingest.incidents.saved import save_mapping

    with engine.begin() as conn:
        # A saved mapping of each commune, saved by its own administrator; Blagnac's names
        # nothing that marks it: its document does (a name asked is echoed in a 404).
        for name, code, label in MAPPINGS:
            document = {"commune": code, "categories": {label: "tapage"}}
            save_mapping(conn, name, document, f"api:admin-{code}", frozenset({code}))
    outline = commune_shape("communes_toulouse.geojson", TOULOUSE)
    return {"batches": batches, "toulouse": toulouse, "blagnac": blagnac, "outline": outline}


def make_tokens(engine: Engine) -> dict[str, dict[str, str]]:
    from observatory.tokens import create_token

    scopes: dict[str, frozenset[str] | None] = {"tls": frozenset({TOULOUSE}), "all": None}
    made: dict[str, dict[str, str]] = {}
    with make_sessionmaker(engine).begin() as session:
        for prefix, scope in scopes.items():
            for role in ROLES:
                name = f"{prefix}-{role}"
                made[name] = auth(create_token(session, name, role, TEST_SECRET, communes=scope))
        for role in ("partner", "police"):
            made[f"duo-{role}"] = auth(
                create_token(
                    session,
                    f"duo-{role}",
                    role,
                    TEST_SECRET,
                    communes=frozenset({TOULOUSE, BLAGNAC}),
                )
            )
    return made


def action_body(title: str, point: tuple[float, float]) -> dict[str, Any]:
    return {
        "title": title,
        "kind": "videoprotection",
        "start": "2024-06-01",
        "place": {"kind": "point", "lon": point[0], "lat": point[1], "radius": 150},
        "categories": [],
    }


def scope_world(engine: Engine, database_url: str, folder: Path) -> Iterator[ScopeWorld]:
    """The world for a module's tests (a fixture yields from it); emptied afterwards."""
    from api.main import create_app

    config = api_settings(database_url)
    _truncate_all(engine)
    loaded = load_world(engine, config, folder)
    who = make_tokens(engine)
    # Accounts and groups of each commune: a scoped administrator lists only its own.
    from tests.accounts import make_account, make_group

    make_group(engine, "blagnac-seule", [BLAGNAC])
    make_group(engine, "toulouse-seule", [TOULOUSE])
    make_account(engine, "agent@blagnac.test", "police", [BLAGNAC])
    make_account(engine, "agent@toulouse.test", "police", [TOULOUSE])
    with TestClient(create_app(config), raise_server_exceptions=False) as client:
        actions = {}
        for code, title, point in (
            (TOULOUSE, "Caméras du Taur", loaded["toulouse"][0]),
            (BLAGNAC, "Caméras de Blagnac", loaded["blagnac"][0]),
        ):
            made = client.post(
                "/api/v1/actions", json=action_body(title, point), headers=who["all-police"]
            )
            assert made.status_code == 201, made.text
            assert made.json()["properties"]["commune"] == code
            actions[code] = made.json()["properties"]["id"]
        yield ScopeWorld(
            client=client,
            engine=engine,
            config=config,
            who=who,
            batches=loaded["batches"],
            actions=actions,
            toulouse_points=loaded["toulouse"],
            blagnac_points=loaded["blagnac"],
            blagnac_cells=only_cells(loaded["blagnac"], loaded["outline"]),
        )
    _truncate_all(engine)


def leaks(body: bytes, world: ScopeWorld) -> list[str]:
    """What of Blagnac (or of the communes beyond the scope) an answer holds."""
    text_ = body.decode("utf-8", errors="replace").lower()
    # A code is a word, not digits inside a number (a partner's noisy shares and rates have
    # many decimals: « 0.2310694 » holds no commune).
    found = [
        m
        for m in MARKERS
        if (re.search(rf"(?<![0-9.]){m}(?![0-9])", text_) if m.isdigit() else m.lower() in text_)
    ]
    found += sorted(c for c in world.blagnac_cells if c in text_)
    return found


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The web-mercator tile (x, y) holding the point at zoom z."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
