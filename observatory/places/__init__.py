"""Places without a tile server: streets drawn from the BAN, names, a local base map."""
