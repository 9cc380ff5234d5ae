#!/usr/bin/env bash
# `make test` (after lint): the whole pytest suite against a real Kafka broker.
#
#   KAFKA_BOOTSTRAP_SERVERS set  -> use that cluster as it is
#   otherwise                    -> tools/kafka/kafka.sh up (127.0.0.1:$KAFKA_PORT, default 9092),
#                                   and stop it at the end if this script started it
#
# Arguments go to pytest (e.g. `bash tools/run-tests.sh -x tests/integration`).
# Exit code: pytest's, except that "no tests collected" (5) is an error too: a suite
# that collects nothing is broken, not green.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTEST=.venv/bin/pytest
[[ -x "$PYTEST" ]] || { echo "run-tests.sh: $PYTEST missing; run 'make install' first" >&2; exit 2; }

if [[ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    started_broker=0
    if ! bash tools/kafka/kafka.sh status >/dev/null 2>&1; then
        started_broker=1
    fi
    stop_broker() {
        if ((started_broker)); then
            bash tools/kafka/kafka.sh down || true
        fi
    }
    # Registered before `up` so a start that fails half-way is cleaned up too.
    trap stop_broker EXIT
    bash tools/kafka/kafka.sh up
    export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:${KAFKA_PORT:-9092}"
fi
echo "run-tests.sh: Kafka at $KAFKA_BOOTSTRAP_SERVERS"

status=0
"$PYTEST" "$@" || status=$?
if ((status == 5)); then
    echo "run-tests.sh: pytest collected no tests; treating that as a failure" >&2
fi
exit "$status"
