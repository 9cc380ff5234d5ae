# The neo-streamer daemon image (it also runs `produce`, `tail`, `score`, `models`).
#
#   podman build --format docker -t neo-streamer:0.1.0 -t neo-streamer:latest .
#   podman run --read-only -v neo-state:/var/lib/neo-streamer \
#       -e NEO_STREAMER_KAFKA__BOOTSTRAP_SERVERS=broker:9092 neo-streamer:latest
#
# `make container-image` builds it here (the base first, with debootstrap); `make
# container-test` proves it against a broker container. `--format docker` keeps the
# HEALTHCHECK (the OCI image format has no field for it). With Docker:
#   docker build --build-arg BASE_IMAGE=debian:bookworm-slim -t neo-streamer:0.1.0 .
#
# BASE_IMAGE: any Debian bookworm (Python 3.11) with apt. The default is the minimal Debian
# that tools/container/base.sh builds from Debian's packages (no image registry needed).
ARG BASE_IMAGE=localhost/neo-streamer-base:bookworm

# ---- build: a compiler (ASSIST and REBOUND build from source) and the virtual environment
FROM ${BASE_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates gcc libc6-dev python3 python3-dev python3-venv tini \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python3 -m venv /opt/venv
WORKDIR /app
# The runtime dependencies first, read from pyproject.toml (not its [train] or [dev] extras:
# the daemon scores in numpy and never imports torch), so a code change reinstalls nothing.
# The optional secret `pip-ca` is a CA bundle for PyPI behind a TLS-inspecting proxy (build
# stage only: it never reaches the image); the cache mount keeps downloads between builds.
COPY pyproject.toml ./
RUN --mount=type=secret,id=pip-ca --mount=type=cache,target=/root/.cache/pip \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
    && python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/runtime-requirements.txt \
    && /opt/venv/bin/pip install -r /tmp/runtime-requirements.txt
COPY README.md LICENSE ./
COPY core/ core/
COPY streamer/ streamer/
# Editable, as in a checkout: the commands find data/ and models/ beside the packages (/app).
RUN --mount=type=secret,id=pip-ca --mount=type=cache,target=/root/.cache/pip \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
    && /opt/venv/bin/pip install --no-deps -e . \
    && /opt/venv/bin/python -m compileall -q /app/core /app/streamer

# ---- runtime: the base, the environment and the project; no compiler, no pip cache
FROM ${BASE_IMAGE}
# A base without python3 (e.g. debian:bookworm-slim) gets Debian's: the one the venv was made with.
RUN command -v python3 >/dev/null \
    || (apt-get update && apt-get install -y --no-install-recommends python3 \
        && rm -rf /var/lib/apt/lists/*)
COPY --from=build /usr/bin/tini-static /usr/bin/tini
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
COPY data/ /app/data/
COPY models/ /app/models/
COPY config.toml /app/config.toml

# Never root. The image is read-only to the daemon (run it with --read-only); what it writes
# goes to the volume /var/lib/neo-streamer (its home), and temporary files to /tmp (a tmpfs).
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/neo-streamer --create-home \
        --shell /usr/sbin/nologin neo \
    && chmod 0750 /var/lib/neo-streamer
VOLUME ["/var/lib/neo-streamer"]
WORKDIR /app
USER neo

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="neo-streamer" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="GPL-3.0-or-later" \
      org.opencontainers.image.description="Streaming anomaly screening of Near-Earth-Object data on Apache Kafka"

# Configured by NEO_STREAMER_<SECTION>__<KEY> alone: the config file and the bundled model are
# the defaults; the health endpoint listens beyond loopback; JSON logs for `podman logs`.
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    HOME=/var/lib/neo-streamer \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NEO_STREAMER_CONFIG=/app/config.toml \
    NEO_STREAMER_MODEL__PATH=/app/models \
    NEO_STREAMER_HTTP__HOST=0.0.0.0 \
    NEO_STREAMER_HTTP__PORT=8080 \
    NEO_STREAMER_LOGGING__FORMAT=json \
    NEO_STREAMER_STATE__DIR=/var/lib/neo-streamer/state
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('NEO_STREAMER_HTTP__PORT', '8080') + '/healthz', timeout=4)"]

# tini is PID 1: it reaps the orphans of the scoring processes and passes SIGTERM to the
# daemon alone, which drains, publishes, commits and exits 0 within shutdown_grace_s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["neo-streamer", "run"]
