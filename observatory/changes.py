"""Versions of the incident data, so that the API's columnar copy follows every commit.

Each committed change of `incident` raises `data_version.version` by one and logs what it did in
`data_change`: ``insert`` with the batch whose rows were added (the importer records it itself,
as the last statement of its transaction), or ``change`` for anything else (an update, a delete,
a truncation, rows inserted by hand), caught by a statement trigger. The version row is updated
inside the writing transaction and stays locked until it commits, so versions are handed out in
commit order: a reader that has seen version v and finds v+1 … w in the log knows every change in
between, and loads only the new batches when all of them are inserts. A version also has a
stamp, the moment its change was committed: a log emptied or restored from an older backup can
hand out a number again for other data, never with the same stamp, so readers compare both.

Two more counters live in `version_counter`, raised by statement triggers: ``reference`` for
the data the answers also read (the category nomenclature, the communes and the QPV: labels,
families, populations, outlines) and ``tokens`` for who may call (a token created, revoked,
deleted). The API reads the three in one statement per request and keys its caches by them:
the nomenclature and the answers by ``reference``, the tokens it has checked by ``tokens``, so
that a revocation takes effect at the next request, in every process.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

# The importer sets this (SET LOCAL) so that the trigger leaves the recording to it.
BATCH_SETTING = "observatory.batch"

BUMP = """
INSERT INTO data_version (id, version) VALUES (1, 1)
ON CONFLICT (id) DO UPDATE SET version = data_version.version + 1
RETURNING version
"""

TRIGGER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION observatory_incident_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v bigint;
BEGIN
    IF TG_OP = 'INSERT' AND coalesce(current_setting('{BATCH_SETTING}', true), '') <> '' THEN
        RETURN NULL;
    END IF;
    {BUMP.strip()} INTO v;
    INSERT INTO data_change (version, kind) VALUES (v, 'change');
    RETURN NULL;
END
$$
"""  # noqa: S608 - built from this module's constants only

TRIGGER = """
CREATE TRIGGER incident_changed
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incident
FOR EACH STATEMENT EXECUTE FUNCTION observatory_incident_changed()
"""


COUNTER_FUNCTION = """
CREATE OR REPLACE FUNCTION observatory_count_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO version_counter (name, version) VALUES (TG_ARGV[0], 1)
    ON CONFLICT (name) DO UPDATE SET version = version_counter.version + 1;
    RETURN NULL;
END
$$
"""

# Table -> (the statements that change what the API keeps of it, the counter they raise).
# A token's last use is written once a minute: not a change of who may call.
COUNTED = {
    "category": ("INSERT OR UPDATE OR DELETE OR TRUNCATE", "reference"),
    "commune": ("INSERT OR UPDATE OR DELETE OR TRUNCATE", "reference"),
    "qpv": ("INSERT OR UPDATE OR DELETE OR TRUNCATE", "reference"),
    "api_token": (
        "INSERT OR UPDATE OF name, role, token_hash, revoked_at OR DELETE OR TRUNCATE",
        "tokens",
    ),
}

# The table names, events and counter names are the constants above.
COUNTER_TRIGGERS = {
    table: f"""
        CREATE TRIGGER {table}_counted AFTER {events} ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION observatory_count_change('{counter}')
    """
    for table, (events, counter) in COUNTED.items()
}

# The stamp of a version: when the change that made it was committed (data_change.changed_at,
# microseconds). (stamp, version) names one state of the data even when the log starts again
# from 1 (a database emptied) or diverges after a restore of an older backup: the same number
# then comes with another stamp.
DATA_STATE = """
SELECT v.version,
       coalesce((SELECT (extract(epoch FROM c.changed_at) * 1000000)::bigint
                 FROM data_change AS c WHERE c.version = v.version), 0)
FROM (SELECT coalesce((SELECT version FROM data_version), 0) AS version) AS v
"""

SEEN_STAMP = """
SELECT coalesce((SELECT (extract(epoch FROM changed_at) * 1000000)::bigint
                 FROM data_change WHERE version = :seen), 0)
"""

VERSIONS = """
SELECT v.version,
       coalesce((SELECT (extract(epoch FROM c.changed_at) * 1000000)::bigint
                 FROM data_change AS c WHERE c.version = v.version), 0),
       coalesce((SELECT max(version) FROM version_counter WHERE name = 'reference'), 0),
       coalesce((SELECT max(version) FROM version_counter WHERE name = 'tokens'), 0)
FROM (SELECT coalesce((SELECT version FROM data_version), 0) AS version) AS v
"""


def mark_batch(conn: Connection, batch_id: int) -> None:
    """Say, for this transaction, that the incidents inserted belong to a batch."""
    conn.execute(
        text("SELECT set_config(:name, :value, true)"),
        {"name": BATCH_SETTING, "value": str(batch_id)},
    )


def record_batch(conn: Connection, batch_id: int) -> int:
    """Log the batch's new incidents as the next version (call last, just before commit)."""
    version = int(conn.execute(text(BUMP)).scalar_one())
    conn.execute(
        text("INSERT INTO data_change (version, kind, batch_id) VALUES (:v, 'insert', :b)"),
        {"v": version, "b": batch_id},
    )
    return version


@dataclass(frozen=True)
class Changes:
    """What happened since a version: the new version, and the batches to add if that is all."""

    version: int
    batches: tuple[int, ...] | None  # None: something else changed, reload everything
    stamp: int = 0


@dataclass(frozen=True)
class Versions:
    """The committed versions of the incidents, the reference data and the tokens, read in one
    statement."""

    data: int
    stamp: int
    reference: int
    tokens: int


def versions(conn: Connection) -> Versions:
    data, stamp, reference, tokens = conn.execute(text(VERSIONS)).one()
    return Versions(int(data), int(stamp), int(reference), int(tokens))


def changes_since(conn: Connection, seen: int, stamp: int | None = None) -> Changes:
    """The changes after version ``seen`` (made by the change stamped ``stamp``): new batches
    only, or a full reload (always when the log started again or diverged)."""
    version, now = (int(v) for v in conn.execute(text(DATA_STATE)).one())
    # Stamp 0: a log without changes yet (no import so far): the first import continues it.
    if stamp and int(conn.execute(text(SEEN_STAMP), {"seen": seen}).scalar_one()) != stamp:
        return Changes(version, None, now)
    if version == seen:
        return Changes(version, (), now)
    if version < seen:
        return Changes(version, None, now)
    rows = conn.execute(
        text(
            "SELECT version, kind, batch_id FROM data_change "
            "WHERE version > :seen AND version <= :now ORDER BY version"
        ),
        {"seen": seen, "now": version},
    ).all()
    complete = [r.version for r in rows] == list(range(seen + 1, version + 1))
    if not complete or any(r.kind != "insert" for r in rows):
        return Changes(version, None, now)
    return Changes(version, tuple(int(r.batch_id) for r in rows), now)
