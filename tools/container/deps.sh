#!/usr/bin/env bash
# Install what the suite's system-level tests need from Debian's packages; a no-op when they are
# there. CI (`.ci/run`) calls it as root before `make test`, so that these tests run rather than
# skip:
#   podman, runc, debootstrap  the container targets (tests/integration/test_container.py)
#   chromium                   the object pages in a real headless browser
#                              (tests/integration/test_object_pages_browser.py)
#   promtool (prometheus)      the alert rules (tests/unit/test_monitoring.py)
set -euo pipefail

missing=()
for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x "/usr/sbin/$tool" ]] || missing+=("$tool")
done
extra=()  # without their recommended packages (a desktop's worth for chromium)
command -v chromium >/dev/null 2>&1 || extra+=(chromium)
command -v promtool >/dev/null 2>&1 || extra+=(prometheus)
if ((${#missing[@]} + ${#extra[@]} == 0)); then
    exit 0
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "deps.sh: ${missing[*]} ${extra[*]} missing; install them as root (Debian: apt-get" \
        "install podman runc debootstrap chromium prometheus); their tests skip until then" >&2
    exit 1
fi
echo "deps.sh: installing ${missing[*]} ${extra[*]} (apt-get)" >&2
apt-get update -qq
if ((${#missing[@]})); then
    # With its recommended packages (conmon's companions, netavark), as measured on these machines.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    echo "deps.sh: $(podman --version)" >&2
fi
if ((${#extra[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${extra[@]}" \
        >/dev/null
    echo "deps.sh: $(chromium --version 2>/dev/null); $(promtool --version 2>&1 | head -1)" >&2
fi
