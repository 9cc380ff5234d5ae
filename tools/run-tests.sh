#!/usr/bin/env bash
# `make test` (after lint): the whole pytest suite against a real Kafka broker.
#
#   KAFKA_BOOTSTRAP_SERVERS set  -> use that cluster as it is
#   otherwise                    -> tools/kafka/kafka.sh acquire (127.0.0.1:$KAFKA_PORT, default
#                                   9092), released at the end: stopped if this script started it
#
# Arguments go to pytest (e.g. `bash tools/run-tests.sh -x tests/integration`).
# Exit code: pytest's, except that "no tests collected" (5) is an error too: a suite
# that collects nothing is broken, not green.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTEST=.venv/bin/pytest
[[ -x "$PYTEST" ]] || { echo "run-tests.sh: $PYTEST missing; run 'make install' first" >&2; exit 2; }

if [[ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    # A lease, not a plain up/down: another session may share the broker. The release
    # stops it only if this script (or another lease holder) started it.
    # Registered before `acquire` so a start that fails half-way is cleaned up too.
    trap 'bash tools/kafka/kafka.sh release $$ || true' EXIT
    bash tools/kafka/kafka.sh acquire $$
    export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:${KAFKA_PORT:-9092}"
fi
echo "run-tests.sh: Kafka at $KAFKA_BOOTSTRAP_SERVERS"

status=0
"$PYTEST" "$@" || status=$?
if ((status == 5)); then
    echo "run-tests.sh: pytest collected no tests; treating that as a failure" >&2
fi
exit "$status"
