"""The Toulouse samples of data/samples loaded into a test database (e2e, packs, secrecy), and
small hand-made files of facts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine

from observatory.settings import PROJECT_ROOT, Settings

SAMPLES = PROJECT_ROOT / "data" / "samples"
SAMPLE_INCIDENTS = 30_000
# A municipal police file of facts: its header, and two places of Toulouse (lon, lat as text).
FACTS_HEADER = "numero;date_faits;heure_faits;date_fin;heure_fin;nature;adresse;code_insee;lon;lat"
CAPITOLE = ("1.443950", "43.604470")
MIRAIL = ("1.399320", "43.574800")


def load_boundaries(engine: Engine) -> None:
    """The communes and the QPV of both generations, with their populations."""
    from ingest.boundaries import import_communes, import_qpv

    import_communes(
        engine,
        SAMPLES / "communes_toulouse.geojson",
        population=SAMPLES / "populations_haute_garonne.csv",
    )
    import_qpv(
        engine,
        SAMPLES / "qpv2015_toulouse.geojson",
        generation=2015,
        population=SAMPLES / "qpv2015_toulouse_insee.csv",
    )
    import_qpv(engine, SAMPLES / "qpv2024_toulouse.geojson", generation=2024)


def load_samples(engine: Engine, settings: Settings) -> None:
    """Communes, QPV of both generations, the 30,000 facts, a CSP's état 4001 and its commune."""
    from ingest.etat4001 import import_etat4001
    from ingest.incidents import import_incidents
    from observatory.etat4001.services import Mapping, map_communes

    load_boundaries(engine)
    summary = import_incidents(engine, SAMPLES / "incidents_toulouse.csv", settings=settings)
    assert summary.rows_imported == SAMPLE_INCIDENTS, summary
    import_etat4001(engine, SAMPLES / "etat4001_csp_toulouse_2024.xlsx")
    with engine.begin() as conn:
        map_communes(conn, Mapping("PN", "31", "CSP TOULOUSE", ("31555",)), replace=True)


def import_facts(
    engine: Engine, settings: Settings, folder: Path, rows: Sequence[tuple[str, ...]]
) -> None:
    """Facts of Toulouse (31555), each (reference, day, hour, end day, end hour, nature, address,
    lon, lat), written to a CSV file in the folder and imported from source « pm »."""
    from ingest.incidents import import_incidents

    lines = [FACTS_HEADER, *(";".join((*r[:7], "31555", *r[7:])) for r in rows)]
    path = folder / "faits.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = import_incidents(engine, path, settings=settings, source="pm")
    assert summary.rows_imported == len(rows), summary
