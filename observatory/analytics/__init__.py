"""Analytics on incidents: counts, time slots, trends, territories."""
