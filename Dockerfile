# The neo-streamer daemon image (also runs `produce` and `tail`): docker-compose.yml builds it.
#   docker build -t neo-streamer .
#   docker run --rm neo-streamer neo-streamer --help
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so that a code change does not reinstall torch. torch comes from PyPI
# as it is (its default wheel); the daemon only runs it on the CPU.
COPY pyproject.toml README.md ./
COPY core/ core/
COPY streamer/ streamer/
# Editable: the commands find data/ and models/ beside the package, as in a checkout.
RUN pip install -e .

# Never run as root: the daemon needs to read its model and data and nothing else.
RUN useradd --create-home --uid 10001 --user-group neo
COPY --chown=neo:neo data/ data/
COPY --chown=neo:neo models/ models/
COPY --chown=neo:neo config.toml ./
USER neo

# Inside a container the health endpoint must listen beyond loopback (the config file keeps
# loopback as its safe default); JSON logs for `docker logs`.
ENV NEO_STREAMER_HTTP__HOST=0.0.0.0 \
    NEO_STREAMER_HTTP__PORT=8080 \
    NEO_STREAMER_LOGGING__FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]

# SIGTERM drains, publishes, commits and exits 0 within [processing] shutdown_grace_s.
STOPSIGNAL SIGTERM
CMD ["neo-streamer", "run", "--config", "/app/config.toml"]
