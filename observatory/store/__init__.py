"""The in-memory copy of the incidents that the API aggregates from, and its SQL reference.

- ``snapshot``: a Snapshot, every incident of one data version column by column, built from rows
  already read (numpy only);
- ``read``: the rows read out of PostgreSQL (one binary COPY per range of ids, or per batch);
- ``incidents``: IncidentStore, which keeps the current snapshot and follows the data version;
- ``plainsql``: the same analyses as plain PostgreSQL queries, the reference the tests hold the
  fast path (observatory/analytics/engine.py) equal to, and the benchmarks' baseline.
"""
