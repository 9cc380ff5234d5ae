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
#   kafka.sh grant [OPTIONS]   secured mode only: the daemon's ACLs (below)
#
# Secured mode (`KAFKA_SECURE=1 kafka.sh up`, or `kafka.sh --secure up`): clients connect with
# TLS and SASL SCRAM-SHA-512 only, and an ACL authorizer (StandardAuthorizer) denies what no
# ACL allows. Its own state dir (.kafka-secure) and ports (19092 clients, 19093 controller), so
# it runs beside the plain broker. At the first start it makes, with the JDK's keytool, a CA and
# a broker certificate signed by it (<state>/tls/ca.pem is the CA file for clients), and
# bootstraps the super user `admin` with `kafka-storage format --add-scram` (KRaft keeps SCRAM
# credentials in its metadata log, so the broker's own login must exist before it starts); the
# daemon's user is created with `kafka-configs` at every start. The controller listener uses
# mutual TLS (KRaft cannot use SCRAM there); the broker's certificate (CN=neo-broker) and
# `admin` are the super users. Passwords come from the environment or are generated once into
# <state>/secrets.env.
#   kafka.sh --secure grant [--user U] [--input T] [--group G] [--output T]...
#       [--changelog T] [--transactional-id ID]   (each option may be repeated)
#                      lets U (default: the daemon's user) read T and group G, write each
#                      --output and the changelog (default <group>.state.changelog), and use
#                      the transactional id (default <group>-<hostname>); the topic and group
#                      defaults are config.toml's
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
#   KAFKA_SECURE           1: the secured mode (default port 19092, state dir .kafka-secure)
#   KAFKA_ADMIN_PASSWORD   secured mode: the super user `admin`'s password (fixed at format)
#   KAFKA_DAEMON_USER      secured mode: the daemon's SCRAM user (default neo-streamer)
#   KAFKA_DAEMON_PASSWORD  secured mode: its password
set -euo pipefail

if [[ "${1:-}" == "--secure" ]]; then
    export KAFKA_SECURE=1
    shift
fi
SECURE="${KAFKA_SECURE:-0}"
[[ "$SECURE" == 1 || "$SECURE" == 0 ]] || { echo "kafka.sh: KAFKA_SECURE must be 0 or 1" >&2; exit 2; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
if ((SECURE)); then
    PORT="${KAFKA_PORT:-19092}"
    STATE="${KAFKA_STATE_DIR:-$ROOT/.kafka-secure}"
else
    PORT="${KAFKA_PORT:-9092}"
    STATE="${KAFKA_STATE_DIR:-$ROOT/.kafka}"
fi
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
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

# -- secured mode ------------------------------------------------------------------------------

KEYTOOL="${JAVA_HOME:+$JAVA_HOME/bin/}keytool"
TLS="$STATE/tls"
SECRETS="$STATE/secrets.env"
ADMIN_CONFIG="$STATE/admin.properties"

random_secret() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom 2>/dev/null | head -c 24 || true; }

# Passwords: the environment, else <state>/secrets.env, else generated once. The admin's is
# fixed when the storage is formatted (the broker logs in to itself with it), so a different
# one later is an error; the daemon's is applied with kafka-configs at every start.
load_secrets() {
    local saved_admin="" saved_user="" saved_daemon="" saved_store="" secret
    if [[ -f "$SECRETS" ]]; then
        saved_admin="$(sed -n 's/^ADMIN_PASSWORD=//p' "$SECRETS")"
        saved_user="$(sed -n 's/^DAEMON_USER=//p' "$SECRETS")"
        saved_daemon="$(sed -n 's/^DAEMON_PASSWORD=//p' "$SECRETS")"
        saved_store="$(sed -n 's/^STORE_PASSWORD=//p' "$SECRETS")"
    fi
    ADMIN_PASSWORD="${KAFKA_ADMIN_PASSWORD:-${saved_admin:-$(random_secret)}}"
    if [[ -n "$saved_admin" && "$ADMIN_PASSWORD" != "$saved_admin" ]]; then
        die "KAFKA_ADMIN_PASSWORD differs from the one $STATE was formatted with ($SECRETS)"
    fi
    DAEMON_USER="${KAFKA_DAEMON_USER:-${saved_user:-neo-streamer}}"
    DAEMON_PASSWORD="${KAFKA_DAEMON_PASSWORD:-${saved_daemon:-$(random_secret)}}"
    STORE_PASSWORD="${saved_store:-$(random_secret)}"
    [[ "$DAEMON_USER" =~ ^[A-Za-z0-9._-]+$ ]] || die "KAFKA_DAEMON_USER: letters, digits, . _ - only"
    for secret in "$ADMIN_PASSWORD" "$DAEMON_PASSWORD"; do
        # they go into JAAS and SCRAM option strings, where quotes, commas and brackets break
        [[ "$secret" =~ ^[A-Za-z0-9._~+-]+$ ]] || die "passwords: letters, digits and . _ ~ + - only"
    done
    mkdir -p "$STATE"
    (
        umask 077
        printf 'ADMIN_PASSWORD=%s\nDAEMON_USER=%s\nDAEMON_PASSWORD=%s\nSTORE_PASSWORD=%s\n' \
            "$ADMIN_PASSWORD" "$DAEMON_USER" "$DAEMON_PASSWORD" "$STORE_PASSWORD" >"$SECRETS"
    )
}

# A CA, and the broker's key with a certificate the CA signed for 127.0.0.1 and localhost;
# tls/ca.pem is what clients trust. Made once per state dir with the JDK's keytool.
make_certs() {
    [[ -f "$TLS/broker.p12" && -f "$TLS/truststore.p12" && -f "$TLS/ca.pem" ]] && return 0
    command -v "$KEYTOOL" >/dev/null 2>&1 || die "keytool not found (it comes with the JDK)"
    say "making a CA and the broker's certificate in $TLS"
    rm -rf "$TLS"
    mkdir -p "$TLS"
    chmod 700 "$TLS"
    local kt=("$KEYTOOL" -storetype PKCS12 -storepass "$STORE_PASSWORD")
    local log="$STATE/keytool.log"
    {
        "${kt[@]}" -genkeypair -keystore "$TLS/ca.p12" -alias ca -keyalg RSA -keysize 2048 \
            -validity 3650 -dname "CN=neo-streamer local CA" -ext bc:c
        "${kt[@]}" -exportcert -rfc -keystore "$TLS/ca.p12" -alias ca -file "$TLS/ca.pem"
        "${kt[@]}" -genkeypair -keystore "$TLS/broker.p12" -alias broker -keyalg RSA \
            -keysize 2048 -validity 3650 -dname "CN=neo-broker"
        "${kt[@]}" -certreq -keystore "$TLS/broker.p12" -alias broker -file "$TLS/broker.csr"
        "${kt[@]}" -gencert -keystore "$TLS/ca.p12" -alias ca -infile "$TLS/broker.csr" \
            -outfile "$TLS/broker.pem" -rfc -validity 3650 \
            -ext SAN=ip:127.0.0.1,dns:localhost -ext KU=digitalSignature,keyEncipherment \
            -ext EKU=serverAuth,clientAuth
        "${kt[@]}" -importcert -noprompt -keystore "$TLS/broker.p12" -alias ca -file "$TLS/ca.pem"
        "${kt[@]}" -importcert -keystore "$TLS/broker.p12" -alias broker -file "$TLS/broker.pem"
        "${kt[@]}" -importcert -noprompt -keystore "$TLS/truststore.p12" -alias ca \
            -file "$TLS/ca.pem"
    } >"$log" 2>&1 || { cat "$log" >&2; die "keytool could not make the certificates"; }
    rm -f "$TLS/broker.csr"
    chmod 755 "$TLS"
    chmod 644 "$TLS/ca.pem"
}

# The plain template's listener lines replaced by TLS + SCRAM ones, plus the authorizer.
write_secure_config() {
    local conf="$STATE/server.properties"
    sed -i -e '/^listeners=/d' -e '/^advertised.listeners=/d' \
        -e '/^listener.security.protocol.map=/d' -e '/^inter.broker.listener.name=/d' "$conf"
    chmod 600 "$conf"
    cat >>"$conf" <<EOF

# Secured mode (kafka.sh --secure): clients only through TLS + SASL SCRAM-SHA-512; the
# controller listener with mutual TLS (KRaft cannot authenticate it with SCRAM).
listeners=SASL_SSL://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$PORT
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL
inter.broker.listener.name=SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$ADMIN_PASSWORD";
listener.name.controller.ssl.client.auth=required
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS/broker.p12
ssl.keystore.password=$STORE_PASSWORD
ssl.key.password=$STORE_PASSWORD
ssl.truststore.type=PKCS12
ssl.truststore.location=$TLS/truststore.p12
ssl.truststore.password=$STORE_PASSWORD

# ACLs: what no ACL allows is denied. The admin and the broker itself (its certificate's
# principal, on the controller listener) are the super users.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:CN=neo-broker
allow.everyone.if.no.acl.found=false
EOF
    (
        umask 077
        cat >"$ADMIN_CONFIG" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$ADMIN_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=$TLS/ca.pem
EOF
    )
}

# Tool options that reach this broker: the admin's client config in the secured mode.
client_opts() {
    CLIENT_OPTS=(--bootstrap-server "$BOOTSTRAP")
    if ((SECURE)); then CLIENT_OPTS+=(--command-config "$ADMIN_CONFIG"); fi
}

# The daemon's SCRAM user, created or its password reset, with kafka-configs (from a file:
# a password on a command line is visible to every user of the machine).
create_daemon_user() {
    local spec="$STATE/scram-user.properties" out="$STATE/kafka-configs.out"
    # in a file the value goes without the brackets --add-config wants
    (
        umask 077
        echo "SCRAM-SHA-512=iterations=8192,password=$DAEMON_PASSWORD" >"$spec"
    )
    client_opts
    if ! java_cp "${TOOL_OPTS[@]}" org.apache.kafka.tools.ConfigCommand "${CLIENT_OPTS[@]}" \
        --alter --entity-type users --entity-name "$DAEMON_USER" --add-config-file "$spec" \
        >"$out" 2>&1; then
        rm -f "$spec"
        # its messages may quote the credential
        grep -vF "$DAEMON_PASSWORD" "$out" | tail -n 20 >&2 || true
        rm -f "$out"
        die "kafka-configs could not create the user $DAEMON_USER"
    fi
    rm -f "$spec" "$out"
    say "SCRAM-SHA-512 user $DAEMON_USER ready (passwords in $SECRETS)"
}

acl_add() {
    client_opts
    java_cp "${TOOL_OPTS[@]}" org.apache.kafka.tools.AclCommand "${CLIENT_OPTS[@]}" --add \
        --allow-principal "User:$1" --operation "$2" "${@:3}" >/dev/null \
        || die "kafka-acls could not add $2 for User:$1"
}

# The daemon's ACLs, nothing more: read the input and the group, write the outputs and the
# changelog (and read it back, to restore state), use the transactional id. Read and Write
# imply Describe, and Write on a topic covers the idempotent producer (KIP-679). Every option
# may be repeated (several pipelines under one user).
grant_daemon() {
    local user="$DAEMON_USER" inputs=() groups=() outputs=() changelogs=() txids=()
    while (($#)); do
        (($# >= 2)) || die "grant: $1 needs a value"
        case "$1" in
        --user) user="$2" ;;
        --input) inputs+=("$2") ;;
        --group) groups+=("$2") ;;
        --output) outputs+=("$2") ;;
        --changelog) changelogs+=("$2") ;;
        --transactional-id) txids+=("$2") ;;
        *) die "grant: unknown option $1" ;;
        esac
        shift 2
    done
    ((${#inputs[@]})) || inputs=(neo.records)
    ((${#groups[@]})) || groups=(neo-streamer)
    ((${#outputs[@]})) || outputs=(neo.results neo.alerts neo.deadletter)
    local name reads=() writes=()
    if ((${#changelogs[@]} == 0)); then
        for name in "${groups[@]}"; do changelogs+=("$name.state.changelog"); done
    fi
    if ((${#txids[@]} == 0)); then
        for name in "${groups[@]}"; do txids+=("$name-$(hostname)"); done
    fi
    for name in "${inputs[@]}" "${changelogs[@]}"; do reads+=(--topic "$name"); done
    for name in "${groups[@]}"; do reads+=(--group "$name"); done
    for name in "${outputs[@]}" "${changelogs[@]}"; do writes+=(--topic "$name"); done
    for name in "${txids[@]}"; do writes+=(--transactional-id "$name"); done
    acl_add "$user" Read "${reads[@]}"
    acl_add "$user" Write "${writes[@]}"
    say "User:$user may read ${inputs[*]} (group ${groups[*]}), write ${outputs[*]} ${changelogs[*]}, use transactional id ${txids[*]}"
}

write_configs() {
    mkdir -p "$STATE/data"
    sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" \
        -e "s|@DATA_DIR@|$STATE/data|g" "$HERE/server.properties" >"$STATE/server.properties"
    if ((SECURE)); then
        make_certs
        write_secure_config
    fi
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
    local scram=()
    ((SECURE)) && scram=(--add-scram "SCRAM-SHA-512=[name=admin,password=$ADMIN_PASSWORD]")
    java_cp "${TOOL_OPTS[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
        -c "$STATE/server.properties" "${scram[@]}" >>"$LOG_FILE" 2>&1 \
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
    client_opts
    timeout 30 "$JAVA" -cp "$LIBS/*" "${TOOL_OPTS[@]}" \
        org.apache.kafka.tools.BrokerApiVersionsCommand "${CLIENT_OPTS[@]}" >/dev/null 2>&1
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
    if ((SECURE)); then load_secrets; fi
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
    if ((SECURE)); then create_daemon_user; fi
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
    client_opts
    java_cp "${TOOL_OPTS[@]}" org.apache.kafka.tools.TopicCommand "${CLIENT_OPTS[@]}" "$@"
    ;;
grant)
    ((SECURE)) || die "grant: only in the secured mode (KAFKA_SECURE=1)"
    check_java
    fetch_libs
    write_tool_config
    [[ -f "$ADMIN_CONFIG" ]] || die "grant: start the secured broker first (kafka.sh --secure up)"
    load_secrets
    grant_daemon "$@"
    ;;
fetch)
    check_java
    fetch_libs
    ;;
*)
    sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
