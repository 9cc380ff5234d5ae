"""Per-object state of observation streams: the store and its changelog, refits of a growing arc."""
