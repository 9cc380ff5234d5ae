#!/usr/bin/env bash
# Local single-node Apache Kafka 4 (KRaft) for development, tests and CI; no Docker needed.
#
#   kafka.sh up        fetch the jars (first time), format storage (first time), start the
#                      broker in the background and wait until it answers; no-op if running
#   kafka.sh down      stop it gracefully (SIGTERM, then SIGKILL after a grace period)
#   kafka.sh status    exit 0 if a broker answers on the port, 1 otherwise
#   kafka.sh acquire [PID]   `up` on behalf of process PID (default: the caller), recorded
#                      as a lease; for test sessions that share the broker
#   kafka.sh release [PID]   drop PID's lease; the last release stops the broker if a
#                      lease holder started it (never one started with `up`)
#   kafka.sh topics [ARGS...]   kafka-topics on this broker (default: --list)
#   kafka.sh fetch     only fetch the jars into tools/kafka/target/libs
#
# The official jars come from Maven Central through tools/kafka/pom.xml (cached in ~/.m2).
# Environment (all optional):
#   KAFKA_PORT             client port on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default KAFKA_PORT + 1)
#   KAFKA_STATE_DIR        config, data, log and pid file (default <project>/.kafka); a second
#                          broker needs its own state dir and ports
#   KAFKA_HEAP_OPTS        broker heap (default -Xms256m -Xmx512m)
#   KAFKA_OPTS             extra JVM options for the broker
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 120)
#   KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL (default 30)
#   JAVA_HOME              Java 17+ to use (default: java on PATH)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
STATE="${KAFKA_STATE_DIR:-$ROOT/.kafka}"
LIBS="$HERE/target/libs"
HEAP="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
BOOTSTRAP="127.0.0.1:$PORT"
PID_FILE="$STATE/kafka.pid"
LOG_FILE="$STATE/server.log"
# Short-lived tool JVMs (storage format, readiness probe): start fast, stay small.
TOOL_OPTS=(-Xmx192m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
    "-Dlog4j2.configurationFile=$STATE/log4j2-tools.properties")

say() { echo "kafka.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

check_java() {
    command -v "$JAVA" >/dev/null 2>&1 || die "java not found; Kafka 4 needs Java 17+ (set JAVA_HOME)"
    local version major
    version="$("$JAVA" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
    major="${version%%.*}"
    [[ "$major" =~ ^[0-9]+$ && "$major" -ge 17 ]] \
        || die "Kafka 4 needs Java 17+, found '${version:-unknown}' at $(command -v "$JAVA")"
}

# Fetch the broker's runtime classpath once; a changed pom.xml fetches again.
fetch_libs() {
    if [[ -f "$LIBS/.complete" && ! "$HERE/pom.xml" -nt "$LIBS/.complete" ]]; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "mvn not found: Maven fetches the Kafka jars (apt-get install maven)"
    say "fetching the Kafka jars from Maven Central into $LIBS"
    rm -rf "$LIBS"
    # Maven prints bare colour resets even in batch mode; keep only its real messages.
    mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies 2>&1 \
        | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2 \
        || die "mvn could not fetch the Kafka jars (see above)"
    touch "$LIBS/.complete"
}

java_cp() { "$JAVA" -cp "$LIBS/*" "$@"; }

write_configs() {
    mkdir -p "$STATE/data"
    sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" \
        -e "s|@DATA_DIR@|$STATE/data|g" "$HERE/server.properties" >"$STATE/server.properties"
    # Broker log: INFO to stdout (redirected to server.log), noisy request logging off.
    cat >"$STATE/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
EOF
}

write_tool_config() {
    mkdir -p "$STATE"
    cat >"$STATE/log4j2-tools.properties" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m%n
rootLogger.level = error
rootLogger.appenderRef.err.ref = err
EOF
}

# Storage is formatted once per state dir with a random cluster id.
format_storage() {
    [[ -f "$STATE/data/meta.properties" ]] && return 0
    local cluster_id
    cluster_id="$(java_cp "${TOOL_OPTS[@]}" kafka.tools.StorageTool random-uuid)"
    say "formatting storage in $STATE/data (cluster id $cluster_id)"
    java_cp "${TOOL_OPTS[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
        -c "$STATE/server.properties" >>"$LOG_FILE" 2>&1 \
        || { tail -n 20 "$LOG_FILE" >&2; die "formatting storage failed"; }
}

pid_alive() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(cat "$PID_FILE" 2>/dev/null)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Guard against a recycled pid: it must still be our broker.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $STATE/server.properties"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# Ready = the broker answers an ApiVersions + metadata round trip, not just an open port.
broker_answers() {
    port_open || return 1
    [[ -f "$STATE/log4j2-tools.properties" ]] || write_tool_config
    timeout 30 "$JAVA" -cp "$LIBS/*" "${TOOL_OPTS[@]}" \
        org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "$BOOTSTRAP" \
        >/dev/null 2>&1
}

log_tail() {
    [[ -f "$LOG_FILE" ]] && { say "last lines of $LOG_FILE:"; tail -n 40 "$LOG_FILE" >&2; }
    return 0
}

start_broker() {
    [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
    format_storage
    say "starting Kafka on $BOOTSTRAP (log: $LOG_FILE)"
    # setsid: the broker must outlive the shell (and a Ctrl-C) that started it; it writes
    # its own pid before exec so the pid file names the JVM, not a wrapper.
    # shellcheck disable=SC2086  # HEAP and KAFKA_OPTS are option lists
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
        "$JAVA" $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true "-Dlog4j2.configurationFile=$STATE/log4j2.properties" \
        ${KAFKA_OPTS:-} -cp "$LIBS/*" kafka.Kafka "$STATE/server.properties" \
        </dev/null >>"$LOG_FILE" 2>&1 9>&- &
    local deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        sleep 1
        if ! pid_alive; then
            log_tail
            die "the broker exited during start-up"
        fi
        if broker_answers; then
            say "ready on $BOOTSTRAP (pid $(cat "$PID_FILE"), ${SECONDS}s)"
            return 0
        fi
    done
    log_tail
    stop_broker
    die "the broker did not answer on $BOOTSTRAP within ${START_TIMEOUT}s"
}

stop_broker() {
    if ! pid_alive; then
        rm -f "$PID_FILE"
        say "not running"
        return 0
    fi
    local pid deadline
    pid="$(cat "$PID_FILE")"
    say "stopping Kafka (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
        say "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    fi
    rm -f "$PID_FILE"
    say "stopped"
}

# Serialise up/down: several shells (test sessions, make) may call this at once. The
# broker must not inherit fd 9, or it would hold the lock for its whole life.
lock() {
    mkdir -p "$STATE"
    exec 9>"$STATE/.lock"
    flock -w $((START_TIMEOUT + STOP_TIMEOUT + 60)) 9 || die "timed out waiting for $STATE/.lock"
}

# Start the broker unless a healthy one answers; STARTED=1 when this call started it.
ensure_up() {
    STARTED=0
    check_java
    fetch_libs
    lock
    write_tool_config
    if pid_alive; then
        if broker_answers; then
            say "already running on $BOOTSTRAP (pid $(cat "$PID_FILE"))"
            return 0
        fi
        say "pid $(cat "$PID_FILE") does not answer on $BOOTSTRAP; restarting it"
        stop_broker
    elif port_open; then
        if broker_answers; then
            say "a broker not started by kafka.sh already answers on $BOOTSTRAP; using it"
            return 0
        fi
        die "port $PORT is taken by something that is not a Kafka broker"
    fi
    rm -f "$PID_FILE"
    write_configs
    start_broker
    STARTED=1
}

# Leases let several test sessions share one broker: the last holder to release stops it,
# but only if a lease holder started it (a broker started with `up` is the user's).
LEASES="$STATE/leases"
AUTO_STOP="$STATE/stop-when-unleased"

prune_leases() {
    local lease
    for lease in "$LEASES"/*; do
        [[ -e "$lease" ]] || continue
        kill -0 "$(basename "$lease")" 2>/dev/null || rm -f "$lease"
    done
}

holder_pid() {
    local holder="${1:-$PPID}"
    [[ "$holder" =~ ^[0-9]+$ ]] || die "lease holder must be a process id, got '$holder'"
    echo "$holder"
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
up)
    ensure_up
    rm -f "$AUTO_STOP"
    ;;
acquire)
    holder="$(holder_pid "${1:-}")"
    ensure_up
    ((STARTED)) && touch "$AUTO_STOP"
    mkdir -p "$LEASES"
    touch "$LEASES/$holder"
    ;;
release)
    holder="$(holder_pid "${1:-}")"
    lock
    rm -f "$LEASES/$holder"
    prune_leases
    if [[ -f "$AUTO_STOP" ]] && ! compgen -G "$LEASES/*" >/dev/null; then
        stop_broker
        rm -f "$AUTO_STOP"
    fi
    ;;
down)
    lock
    stop_broker
    rm -f "$AUTO_STOP"
    ;;
status)
    if pid_alive && port_open; then
        echo "running on $BOOTSTRAP (pid $(cat "$PID_FILE"))"
    elif port_open; then
        echo "a process not started by kafka.sh listens on $BOOTSTRAP"
    else
        echo "not running"
        exit 1
    fi
    ;;
topics)
    check_java
    fetch_libs
    write_tool_config
    [[ $# -gt 0 ]] || set -- --list
    java_cp "${TOOL_OPTS[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "$@"
    ;;
fetch)
    check_java
    fetch_libs
    ;;
*)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
