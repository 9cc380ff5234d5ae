"""Prometheus metrics of one daemon, in their own registry (several daemons may share a process
in tests, and the default registry's process collectors are not wanted twice)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics"]

_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_E2E_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)


class Metrics:
    """Every metric the daemon exports, created in a private :class:`CollectorRegistry`.

    Attributes are the metric objects; :meth:`render` gives the Prometheus text format.
    """

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.records_in = Counter(
            "neo_streamer_records_in", "Input messages fetched", ["topic"], registry=r
        )
        self.results_out = Counter(
            "neo_streamer_results_out", "Results published and acknowledged", registry=r
        )
        self.alerts_out = Counter(
            "neo_streamer_alerts_out", "Alerts published and acknowledged", registry=r
        )
        self.dead_letters = Counter(
            "neo_streamer_dead_letters",
            "Inputs sent to the dead-letter topic",
            ["error_type"],
            registry=r,
        )
        self.unknown_fields = Counter(
            "neo_streamer_unknown_fields",
            "Fields of valid inputs the contract does not know (a newer producer's), dropped;"
            " block: the top-level part that held them ($ for the top level)",
            ["block"],
            registry=r,
        )
        self.alerts_skipped = Counter(
            "neo_streamer_alerts_skipped",
            "Survey alerts left out, not errors: no_association (a ZTF alert names no known"
            " asteroid), beyond_ssdistnr (farther than [input] ztf_max_ssdistnr_arcsec),"
            " negative_difference",
            ["reason"],
            registry=r,
        )
        self.publish_errors = Counter(
            "neo_streamer_publish_errors", "Failed publish attempts (retried)", registry=r
        )
        self.commits = Counter("neo_streamer_commits", "Offset commits", ["outcome"], registry=r)
        self.transaction_restarts = Counter(
            "neo_streamer_transaction_restarts",
            "Failed transactions (exactly-once) after which the producer was replaced and the"
            " owned partitions fetched again from their committed offsets",
            registry=r,
        )
        self.batch_size = Histogram(
            "neo_streamer_batch_size",
            "Records per scoring batch",
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.scoring_seconds = Histogram(
            "neo_streamer_scoring_seconds",
            "Wall time of decode + validate + predict_batch per batch",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.end_to_end_seconds = Histogram(
            "neo_streamer_end_to_end_seconds",
            "From the input message timestamp to the acknowledgement of its outputs",
            buckets=_E2E_BUCKETS,
            registry=r,
        )
        self.consumer_lag = Gauge(
            "neo_streamer_consumer_lag",
            "Highwater mark minus next fetch position",
            ["topic", "partition"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "neo_streamer_queue_depth", "Input messages waiting for a worker", registry=r
        )
        self.model_info = Gauge(
            "neo_streamer_model_info",
            "The serving model (value 1)",
            ["model_id", "version"],
            registry=r,
        )
        self.model_reloads = Counter(
            "neo_streamer_model_reloads", "Model reload attempts", ["outcome"], registry=r
        )
        self.observations_applied = Counter(
            "neo_streamer_observations_applied",
            "Observations added to per-object state (duplicates not counted)",
            registry=r,
        )
        self.duplicates_dropped = Counter(
            "neo_streamer_duplicate_observations",
            "Observations dropped as duplicates of one already in the object's state",
            registry=r,
        )
        self.objects_expired = Counter(
            "neo_streamer_objects_expired", "Objects deleted from state by expiry", registry=r
        )
        self.fits = Counter(
            "neo_streamer_orbit_fits", "Orbit (re)fits of objects in state", ["outcome"], registry=r
        )
        self.fit_failures = Counter(
            "neo_streamer_fit_failures",
            "Refits that found no orbit, by cause (streamer.state.fitcause: too_few_observations,"
            " single_night, unknown_station, diverged, no_convergence, ... other)",
            ["cause"],
            registry=r,
        )
        self.refits = Counter(
            "neo_streamer_refits",
            "Refits of objects in state by kind (full: radiation pressure where the data show "
            "it; light: gravity only, for well-determined orbits far from the Earth; "
            "tracklet: one night's geocentric score)",
            ["kind"],
            registry=r,
        )
        self.state_restore_seconds = Histogram(
            "neo_streamer_state_restore_seconds",
            "Time to open and restore one partition's state from the changelog",
            buckets=_E2E_BUCKETS,
            registry=r,
        )
        self.state_bytes = Gauge(
            "neo_streamer_state_bytes",
            "Size of a partition's state store (RocksDB's SST files and memtables)",
            ["partition"],
            registry=r,
        )
        self.ready = Gauge("neo_streamer_ready", "1 when /readyz answers 200", registry=r)
        # known artificial objects ([known], streamer.pipeline.known)
        self.known_checks = Counter(
            "neo_streamer_known_checks",
            "Objects matched against the known-object catalogue",
            ["outcome"],  # matched, unmatched, error
            registry=r,
        )
        self.known_catalogue_size = Gauge(
            "neo_streamer_known_catalogue_size", "Objects in the known-object catalogue", registry=r
        )
        self.known_reloads = Counter(
            "neo_streamer_known_reloads", "Catalogue reload attempts", ["outcome"], registry=r
        )
        self.state_restoring = Gauge(
            "neo_streamer_state_restoring",
            "Partitions whose state is being restored from the changelog (set at each scrape)",
            registry=r,
        )

    def set_model(self, model_id: str, version: str) -> None:
        """Point the model info gauge at the serving model (only one label set is 1)."""
        self.model_info.clear()
        self.model_info.labels(model_id=model_id, version=version).set(1)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
