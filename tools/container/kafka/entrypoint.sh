#!/bin/bash
# Broker entry point: write server.properties, format the storage once, exec the broker.
#
# Without KAFKA_* settings: a loopback broker on 127.0.0.1:$KAFKA_PORT (controller on
# KAFKA_PORT + 1), the settings of tools/kafka/server.properties (for `--network host`).
# Every KAFKA_<NAME> variable is a broker property, named as the apache/kafka image names them
# (KAFKA_LISTENERS -> listeners; `_` -> `.`, `__` -> `_`, `___` -> `-`), and wins over the
# defaults. Not properties: KAFKA_PORT, KAFKA_CONTROLLER_PORT, KAFKA_HEAP_OPTS, KAFKA_OPTS.
# CLUSTER_ID: the KRaft cluster id (default: a random one, at the first start).
set -euo pipefail

PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
CONFIG=/opt/kafka/config/server.properties
DATA="${KAFKA_LOG_DIRS:-/var/lib/kafka/data}"
CP="/opt/kafka/libs/*"
TOOL_OPTS=(-Xmx192m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC)

sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" -e "s|@DATA_DIR@|$DATA|g" \
    /opt/kafka/config/server.properties.template > "$CONFIG"
# Later lines win in a Java properties file: the variables override the template.
while IFS='=' read -r name value; do
    case "$name" in
    KAFKA_PORT | KAFKA_CONTROLLER_PORT | KAFKA_HEAP_OPTS | KAFKA_OPTS) continue ;;
    KAFKA_*) ;;
    *) continue ;;
    esac
    key="${name#KAFKA_}"
    key="${key//___/-}"
    key="${key//__/@}"
    key="${key//_/.}"
    key="${key//@/_}"
    printf '%s=%s\n' "${key,,}" "$value" >> "$CONFIG"
done < <(env)

if [[ ! -f "$DATA/meta.properties" ]]; then
    cluster_id="${CLUSTER_ID:-$(java "${TOOL_OPTS[@]}" -cp "$CP" kafka.tools.StorageTool random-uuid)}"
    echo "entrypoint: formatting $DATA (cluster id $cluster_id)"
    java "${TOOL_OPTS[@]}" -cp "$CP" kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG" \
        --ignore-formatted
fi
# Logs: log4j2's default console configuration at INFO (`podman logs`).
# shellcheck disable=SC2086  # option lists
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dorg.apache.logging.log4j.level=INFO ${KAFKA_OPTS:-} \
    -cp "$CP" kafka.Kafka "$CONFIG"
