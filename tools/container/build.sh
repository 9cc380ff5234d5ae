#!/usr/bin/env bash
# Build the container images with podman, from Debian's packages and the project's own files
# (no image registry needed):
#
#   build.sh base      neo-streamer-base:bookworm (debootstrap + podman import; kept if present)
#   build.sh broker    neo-streamer-kafka:<kafka version> and :latest (tools/kafka's Maven jars)
#   build.sh daemon    neo-streamer:<project version> and :latest (the Dockerfile)
#   build.sh all       the three, in that order (default)
#
# Each step prints its time; the layer cache makes a rebuild without changes take seconds.
# Environment (all optional):
#   BASE_IMAGE   base of both images (default localhost/neo-streamer-base:bookworm, built here)
#   PIP_CA       CA bundle pip inside the build trusts, for PyPI behind a TLS-inspecting proxy
#                (default: $PIP_CERT, else /etc/ssl/certs/ca-certificates.crt where present);
#                a build secret, never stored in an image
# Needs root, podman, runc and debootstrap (`make container-deps` installs them on Debian).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# The flags that run containers on these machines: runc (crun fails on their cgroup set-up),
# cgroupfs (no systemd), explicit ulimits (the defaults are refused), the host's network.
PODMAN=(podman --runtime runc --cgroup-manager cgroupfs)
BUILD_FLAGS=(--format docker --ulimit nofile=1024:1024 --ulimit nproc=1000:1000 --network host)
BASE_IMAGE="${BASE_IMAGE:-localhost/neo-streamer-base:bookworm}"

say() { echo "build.sh: $*" >&2; }

project_version() {
    python3 -c "import tomllib; print(tomllib.load(open('$ROOT/pyproject.toml', 'rb'))['project']['version'])"
}

kafka_version() {
    sed -n 's|.*<kafka.version>\(.*\)</kafka.version>.*|\1|p' "$ROOT/tools/kafka/pom.xml"
}

image_size() { "${PODMAN[@]}" image inspect --format '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1 / 1e6}'; }

build_base() {
    if [[ "$BASE_IMAGE" == localhost/neo-streamer-base:* ]]; then
        ENGINE=podman bash "$HERE/base.sh" "$BASE_IMAGE"
    fi
}

build_broker() {
    local version context start=$SECONDS
    version="$(kafka_version)"
    bash "$ROOT/tools/kafka/kafka.sh" fetch
    context="$(mktemp -d /var/tmp/neo-streamer-kafka-context.XXXXXX)"
    # shellcheck disable=SC2064  # expand now: the folder of this call
    trap "rm -rf '$context'" RETURN
    cp "$HERE/kafka/Containerfile" "$HERE/kafka/entrypoint.sh" "$ROOT/tools/kafka/server.properties" \
        "$context/"
    cp -r "$ROOT/tools/kafka/target/libs" "$context/libs"
    "${PODMAN[@]}" build "${BUILD_FLAGS[@]}" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        -t "neo-streamer-kafka:$version" -t neo-streamer-kafka:latest "$context" >&2
    say "neo-streamer-kafka:$version in $((SECONDS - start)) s, $(image_size "neo-streamer-kafka:$version")"
}

build_daemon() {
    local version start=$SECONDS ca secret=()
    version="$(project_version)"
    ca="${PIP_CA:-${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}}"
    [[ -s "$ca" ]] && secret=(--secret "id=pip-ca,src=$ca")
    "${PODMAN[@]}" build "${BUILD_FLAGS[@]}" "${secret[@]}" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        --build-arg "VERSION=$version" -t "neo-streamer:$version" -t neo-streamer:latest "$ROOT" >&2
    say "neo-streamer:$version in $((SECONDS - start)) s, $(image_size "neo-streamer:$version")"
}

case "${1:-all}" in
base) build_base ;;
broker) build_broker ;;
daemon) build_daemon ;;
all)
    build_base
    build_broker
    build_daemon
    ;;
*)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
