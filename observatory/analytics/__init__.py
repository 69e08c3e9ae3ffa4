"""Analytics on incidents: counts, time slots, trends, territories, hot spots, evaluations.

Pure functions over arrays, data frames and dataclasses (a Snapshot of observatory/store/), as
esda's and h3-py's are: no database, no HTTP.
"""
