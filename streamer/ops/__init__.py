"""Operations: the HTTP endpoints (health, readiness, metrics), Prometheus metrics, logging."""
