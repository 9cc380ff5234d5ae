#!/usr/bin/env bash
# The base image every neo-streamer container starts from, built from Debian's own packages
# (no image registry needed): a minimal Debian (debootstrap --variant=minbase) with python3,
# imported into the local container storage with `podman import`.
#
#   base.sh [IMAGE]    build IMAGE (default neo-streamer-base:bookworm) unless it exists
#
# Environment (all optional):
#   ENGINE          container engine (default podman)
#   DEBIAN_SUITE    Debian release (default bookworm: its python3 is 3.11)
#   DEBIAN_MIRROR   package mirror (default http://deb.debian.org/debian)
#   REBUILD=1       build again even if the image exists
# Needs root (debootstrap) and the debootstrap package.
set -euo pipefail

IMAGE="${1:-neo-streamer-base:bookworm}"
ENGINE="${ENGINE:-podman}"
SUITE="${DEBIAN_SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

say() { echo "base.sh: $*" >&2; }

if [[ "${REBUILD:-0}" != 1 ]] && "$ENGINE" image exists "$IMAGE"; then
    say "$IMAGE exists (REBUILD=1 to build it again)"
    exit 0
fi
command -v debootstrap >/dev/null || { say "error: debootstrap not found (apt-get install debootstrap)"; exit 1; }

ROOTFS="$(mktemp -d /var/tmp/neo-streamer-base.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT
start=$SECONDS
say "debootstrap $SUITE from $MIRROR into $ROOTFS"
debootstrap --variant=minbase --include=python3,ca-certificates "$SUITE" "$ROOTFS" "$MIRROR" >&2

# Updates and security fixes reachable from inside the image, as on any Debian.
cat > "$ROOTFS/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
SOURCES
# Smaller image: no package lists, no downloaded .debs, no docs or man pages; each package's
# copyright file stays (the licences travel with the binaries).
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb
find "$ROOTFS"/usr/share/man "$ROOTFS"/usr/share/info -type f -delete
find "$ROOTFS"/usr/share/doc -type f ! -name copyright -delete

tar --numeric-owner -C "$ROOTFS" -c . \
    | "$ENGINE" import --change 'CMD ["/usr/bin/python3"]' --change 'ENV LANG=C.UTF-8' - "$IMAGE" >&2
say "built $IMAGE in $((SECONDS - start)) s ($("$ENGINE" image inspect --format '{{.Size}}' "$IMAGE") bytes)"
