#!/usr/bin/env bash
# `make bench`: the benchmarks of docs/performance.md on a real broker on loopback.
#   1. start the local single-node Kafka (tools/kafka/kafka.sh up) unless a broker is given
#      (KAFKA_BOOTSTRAP_SERVERS) or one already runs
#   2. make sure a model is registered in models/ (train the bundled catalog if none)
#   3. run bench/run_all.py (arguments are passed on, e.g. `bash tools/run-bench.sh --quick`)
#   4. stop the broker again if this script started it: things are left as they were found
# Results: bench/results/<date>.json and bench/results/latest.json, a table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
KAFKA=tools/kafka/kafka.sh
STARTED_BROKER=0

stop_broker() {
  if [[ "$STARTED_BROKER" == 1 ]]; then
    echo "==> stopping the broker this run started"
    bash "$KAFKA" down || true
  fi
}
trap stop_broker EXIT

if [[ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
  if ! bash "$KAFKA" status >/dev/null 2>&1; then
    bash "$KAFKA" up
    STARTED_BROKER=1
  fi
fi

# `models list` exits 0 on an empty registry, so look for the CURRENT alias itself
if [[ ! -s models/CURRENT ]]; then
  echo "==> no model registered in models/: training on the bundled catalog"
  "$BIN/neo-streamer" train
fi

echo "==> benchmarks (a full run takes about 6-10 minutes on 2 cores)"
"$BIN/python" -m bench.run_all "$@"
