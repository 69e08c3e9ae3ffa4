"""Performance harness: `python -m benchmarks` (make bench) prints figures and ratios."""
