"""The BAN's streets in PostGIS: a reloaded commune replaces its streets, the others stay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import Result

from observatory.geocoder.ban import CommuneAddresses, read_communes
from observatory.places.store import StreetWriter, load_streets, replace_streets
from observatory.settings import Settings

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "samples" / "adresses-31-extrait.csv.gz"


def streets_by_commune(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text("SELECT commune_code, count(*) FROM street GROUP BY commune_code")
            ).all()
        )


def test_loading_twice_keeps_one_copy_of_each_street(db: Engine) -> None:
    first = load_streets(db, [SAMPLE])
    counts = streets_by_commune(db)
    again = load_streets(db, [SAMPLE])
    assert first == again == sum(counts.values()) > 20
    assert streets_by_commune(db) == counts
    with db.connect() as conn:
        kinds = conn.execute(text("SELECT DISTINCT GeometryType(geom) FROM street")).scalars()
        invalid = conn.execute(text("SELECT count(*) FROM street WHERE NOT ST_IsValid(geom)"))
        assert set(kinds) == {"MULTILINESTRING"}
        assert invalid.scalar_one() == 0


def test_a_reloaded_commune_replaces_its_streets_only(db: Engine, tmp_path: Path) -> None:
    load_streets(db, [SAMPLE])
    before = streets_by_commune(db)
    communes = {c.code: c for c in read_communes(SAMPLE)}
    code = min(before, key=lambda c: before[c])
    full = communes[code]
    # The commune comes back with only the rows of its first street.
    first_street = full.rows[0]["nom_voie"]
    rows = [r for r in full.rows if r["nom_voie"] == first_street]
    with db.begin() as conn:
        stored = replace_streets(conn, CommuneAddresses(code, full.name, rows))
    after = streets_by_commune(db)
    assert stored == 1
    assert after[code] == 1
    assert {c: n for c, n in after.items() if c != code} == {
        c: n for c, n in before.items() if c != code
    }
    with db.connect() as conn:
        names = conn.execute(
            text("SELECT name FROM street WHERE commune_code = :code"), {"code": code}
        ).scalars()
        assert list(names) == [first_street]


def test_the_writer_says_when_the_database_cannot_take_the_streets(db: Engine) -> None:
    with db.begin() as conn:
        conn.execute(text("ALTER TABLE street RENAME TO street_away"))
    try:
        writer = StreetWriter(db)
        for commune in read_communes(SAMPLE):
            writer(commune)
        assert writer.streets == 0
        assert writer.problem is not None and "street" in writer.problem
    finally:
        with db.begin() as conn:
            conn.execute(text("ALTER TABLE street_away RENAME TO street"))


def test_the_geocoder_load_draws_the_streets_every_time(
    cli_in_process: Callable[[Settings, list[str]], Result],
    empty_reference: Settings,
    extract_file: Path,
    db: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OBS_DATABASE_URL", database_url)
    first = cli_in_process(empty_reference, ["geocoder", "load", str(extract_file)])
    assert first.exit_code == 0, first.output
    stored = streets_by_commune(db)
    assert sum(stored.values()) > 20
    assert f"Voies dessinées sur la carte : {sum(stored.values())}." in first.output
    # The database emptied (a new one, a restore): a load of unchanged communes draws them again.
    with db.begin() as conn:
        conn.execute(text("TRUNCATE street"))
    again = cli_in_process(empty_reference, ["geocoder", "load", str(extract_file)])
    assert again.exit_code == 0, again.output
    assert "Inchangées (déjà chargées)" in again.output
    assert streets_by_commune(db) == stored
