"""Benchmarks of neo-streamer (``make bench``); see ``docs/performance.md``."""
