"""The in-memory copy follows the database: new batches at once, other changes reloaded."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from ingest.incidents import import_incidents
from observatory.settings import Settings
from observatory.store.incidents import IncidentStore

HEADER = "numero;date_faits;heure_faits;nature;code_insee;longitude;latitude"


def _csv(path: Path, prefix: str, n: int) -> Path:
    rows = [
        f"{prefix}-{i};0{1 + i % 9}/05/2024;10:00;tapage;31555;1.44{i % 10};43.60" for i in range(n)
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_deletion_is_read_before_the_next_answer(db: Engine, tmp_path: Path) -> None:
    """A purge or any deletion: the next snapshot no longer holds the deleted facts (it used to
    serve the old copy while reloading in the background)."""
    settings = Settings(environment="test")
    import_incidents(db, _csv(tmp_path / "a.csv", "A", 40), settings=settings, source="s")
    store = IncidentStore(db, "Europe/Paris")
    first = store.snapshot()
    assert first.size == 40

    with db.begin() as conn:
        conn.execute(text("DELETE FROM incident WHERE source_ref LIKE 'A-1%'"))
    latest = store.snapshot()

    assert latest.size == 40 - 11  # … A-19
    assert latest.version > first.version


def test_new_batches_are_appended_in_day_order(db: Engine, tmp_path: Path) -> None:
    settings = Settings(environment="test")
    import_incidents(db, _csv(tmp_path / "a.csv", "A", 20), settings=settings, source="s")
    store = IncidentStore(db, "Europe/Paris")
    before = store.snapshot()
    import_incidents(db, _csv(tmp_path / "b.csv", "B", 30), settings=settings, source="s")

    after = store.snapshot()

    assert (before.size, after.size) == (20, 50)
    assert (after.day[:-1] <= after.day[1:]).all()
    assert after.version == before.version + 1


def test_a_log_started_again_at_the_same_version_is_seen(db: Engine, tmp_path: Path) -> None:
    """Emptied (or restored from an older backup), the version log can hand out the same
    version number again for other data: the copy is reloaded, as the version's stamp (when its
    change was committed) differs, not kept because the number is the same."""
    settings = Settings(environment="test")
    import_incidents(db, _csv(tmp_path / "a.csv", "A", 12), settings=settings, source="s")
    import_incidents(db, _csv(tmp_path / "b.csv", "B", 3), settings=settings, source="s")
    store = IncidentStore(db, "Europe/Paris")
    before = store.snapshot()
    with db.begin() as conn:  # the truncation itself is logged: the log restarts at 1
        conn.execute(text("TRUNCATE incident, data_change, data_version"))
    batches = before.version - 1  # up to the same version number again
    for n in range(batches):
        import_incidents(db, _csv(tmp_path / f"c{n}.csv", f"C{n}", 7), settings=settings)

    after = store.snapshot()

    assert after.version == before.version
    assert after.stamp != before.stamp
    assert (before.size, after.size) == (15, 7 * batches)


def test_new_batches_keep_being_appended_with_their_stamp(db: Engine, tmp_path: Path) -> None:
    store = IncidentStore(db, "Europe/Paris")
    empty = store.snapshot()
    settings = Settings(environment="test")
    import_incidents(db, _csv(tmp_path / "a.csv", "A", 5), settings=settings, source="s")

    first = store.snapshot()  # appended at once: no background reload

    assert (empty.size, first.size) == (0, 5)
    assert first.stamp not in (0, empty.stamp)
    assert store.snapshot() is first  # and then stable
