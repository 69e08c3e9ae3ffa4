"""The figures of the observatory, built once: summary, time slots, trends, CompStat, territories.

Each module builds one figure as plain data (dataclasses) from a Snapshot and a Filter, with the
caller's Disclosure (observatory/privacy/policy.py) already applied: a value the reader may not
be told is None (shown « < 5 »). The API (api/routers/stats.py) and the packs
(observatory/reports/gather.py) only serialise them, rounding and labelling as they need.
"""
