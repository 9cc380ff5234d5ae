#!/usr/bin/env bash
# Install what the container targets need (podman, runc, debootstrap) from Debian's packages;
# a no-op when they are there. CI (`.ci/run`) calls it as root before `make test`, so that
# tests/integration/test_container.py runs rather than skips.
set -euo pipefail

missing=()
for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x "/usr/sbin/$tool" ]] || missing+=("$tool")
done
if ((${#missing[@]} == 0)); then
    exit 0
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "deps.sh: ${missing[*]} missing; install them as root (Debian: apt-get install" \
        "podman runc debootstrap); the container test skips until then" >&2
    exit 1
fi
echo "deps.sh: installing ${missing[*]} (apt-get)" >&2
apt-get update -qq
# With its recommended packages (conmon's companions, netavark), as measured on these machines.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
echo "deps.sh: $(podman --version)" >&2
