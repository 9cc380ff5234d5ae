#!/usr/bin/env bash
# `make run`: the whole local experience on one machine.
#   1. start the local single-node Kafka (KRaft) on 127.0.0.1:9092
#   2. make sure a model is registered (train the bundled catalog if models/ has none)
#   3. start the daemon in the background (logs: .kafka/daemon.log)
#   4. feed the bundled sample stream into the input topic, then observations one at a time
#      through the per-object state: real MPC astrometry of 2007 VV7 and a simulated spent
#      stage (data/demo_stage_obs.psv, scripts/build_demo_obs.py), refitted night by night
#   5. show the alerts as they arrive, then stop the daemon gracefully
# The demo opts into the separate "undetermined" alert rule (an Earth-like orbit the evidence
# cannot decide yet) and enables [state], through the environment; config.toml is unchanged.
# The broker keeps running afterwards; `make kafka-down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
CONFIG=${NEO_STREAMER_CONFIG:-config.toml}
TAIL_SECONDS=${DEMO_TAIL_SECONDS:-45}
mkdir -p .kafka

bash tools/kafka/kafka.sh up

if [[ ! -s models/CURRENT ]]; then
  echo "==> no model registered in models/: training on the bundled catalog (about 2-3 minutes)"
  "$BIN/neo-streamer" train
fi

export NEO_STREAMER_STATE__ENABLED=${NEO_STREAMER_STATE__ENABLED:-true}
export NEO_STREAMER_STATE__DIR=${NEO_STREAMER_STATE__DIR:-.kafka/demo-state}
export NEO_STREAMER_PROCESSING__ALERT_CATEGORIES=${NEO_STREAMER_PROCESSING__ALERT_CATEGORIES:-highly_suspicious,artificial_candidate,undetermined}

echo "==> starting the daemon (log: .kafka/daemon.log)"
"$BIN/neo-streamer" run --config "$CONFIG" >.kafka/daemon.log 2>&1 &
DAEMON=$!
stop_daemon() {
  if kill -0 "$DAEMON" 2>/dev/null; then
    echo "==> stopping the daemon (SIGTERM: drain, publish, commit)"
    kill -TERM "$DAEMON" 2>/dev/null || true
    wait "$DAEMON" 2>/dev/null || true
  fi
}
trap stop_daemon EXIT

# Wait until the daemon says it is ready (consumer assigned, model loaded).
PORT=$("$BIN/python" -c "from streamer.config import load_config; print(load_config('$CONFIG').http.port)")
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:${PORT}/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$DAEMON" 2>/dev/null; then
    echo "the daemon exited; last log lines:" >&2; tail -n 30 .kafka/daemon.log >&2; exit 1
  fi
  sleep 0.5
done

echo "==> feeding the bundled sample stream"
"$BIN/neo-streamer" produce --config "$CONFIG" --input sample

echo "==> streaming observations through the per-object state (refitted as nights arrive)"
echo "    real: 2007 VV7 (MPC, 21 observations); simulated: SIM-STAGE1, a Centaur-like stage"
"$BIN/neo-streamer" produce --config "$CONFIG" --input data/demo_2007vv7_obs80.txt --per observation --rate 4
"$BIN/neo-streamer" produce --config "$CONFIG" --input data/demo_stage_obs.psv --per observation --rate 1

echo "==> alerts (Ctrl-C to stop early; waits up to ${TAIL_SECONDS}s for new ones)"
"$BIN/neo-streamer" tail --config "$CONFIG" --alerts --from-beginning --timeout "$TAIL_SECONDS" || true

echo "==> metrics: http://127.0.0.1:${PORT}/metrics"
curl -fsS "http://127.0.0.1:${PORT}/metrics" | grep -E '^neo_streamer_(records|alerts)' || true
