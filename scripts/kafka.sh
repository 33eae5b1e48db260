#!/usr/bin/env bash
# Run a single-node Apache Kafka 4.x broker (KRaft, loopback only) from Maven Central jars.
# Clients on PORT are unauthenticated (User:ANONYMOUS, a super user); on PORT+2 they log in
# with SASL (PLAIN users admin, alice, bob with password NAME-secret; SCRAM-SHA-256/512 users
# as created through the Admin API) and Kafka's StandardAuthorizer applies ACLs to them.
#
#   scripts/kafka.sh start|stop|status|install
#
# Environment:
#   KREST_KAFKA_VERSION  broker version (default 4.4.0)
#   KREST_KAFKA_PORT     client port on 127.0.0.1 (default 19092); the controller uses PORT+1,
#                        SASL clients PORT+2
#   KREST_KAFKA_HOME     jar cache, shared by every checkout (default ~/.cache/krest/kafka-VERSION)
#   KREST_KAFKA_STATE    log dir, pid file and broker log (default .kafka/ in the repository)
set -euo pipefail

VERSION="${KREST_KAFKA_VERSION:-4.4.0}"
PORT="${KREST_KAFKA_PORT:-19092}"
CONTROLLER_PORT=$((PORT + 1))
SASL_PORT=$((PORT + 2))
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HOME_DIR="${KREST_KAFKA_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/krest/kafka-$VERSION}"
STATE="${KREST_KAFKA_STATE:-$ROOT/.kafka}"
PID_FILE="$STATE/broker.pid"
LOG_FILE="$STATE/broker.log"
BOOTSTRAP="127.0.0.1:$PORT"

log() { echo "kafka.sh: $*" >&2; }

install_jars() {
  if [[ -f "$HOME_DIR/.complete" ]]; then return; fi
  log "fetching Apache Kafka $VERSION jars from Maven Central into $HOME_DIR (first run only)"
  mkdir -p "$HOME_DIR"
  cat > "$HOME_DIR/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.krest</groupId>
  <artifactId>kafka-broker-jars</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-server</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>2.0.17</version></dependency>
  </dependencies>
</project>
POM
  mvn -q -B -f "$HOME_DIR/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$HOME_DIR/libs" -DincludeScope=runtime >"$HOME_DIR/mvn.log" 2>&1 \
    || { log "maven failed, see $HOME_DIR/mvn.log"; tail -20 "$HOME_DIR/mvn.log" >&2; exit 1; }
  touch "$HOME_DIR/.complete"
}

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid; pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# Succeeds once the broker accepts TCP connections on its client port.
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

start() {
  if pid="$(running_pid)"; then log "already running (pid $pid)"; echo "$BOOTSTRAP"; return; fi
  install_jars
  if answers; then
    log "port $PORT is already in use by another process; set KREST_KAFKA_PORT to a free port"
    exit 1
  fi
  mkdir -p "$STATE"
  local data="$STATE/data" props="$STATE/server.properties"
  cat > "$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
inter.broker.listener.name=PLAINTEXT
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS;User:admin
log.dirs=$data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  local cp="$HOME_DIR/libs/*"
  if [[ ! -f "$data/meta.properties" ]]; then
    local cluster_id; cluster_id="$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    java -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" -c "$props" >>"$LOG_FILE" 2>&1 \
      || { log "formatting the log dir failed, see $LOG_FILE"; exit 1; }
  fi
  nohup java -Xms256m -Xmx512m -Dorg.slf4j.simpleLogger.defaultLogLevel=info \
    -cp "$cp" kafka.Kafka "$props" >>"$LOG_FILE" 2>&1 </dev/null &
  echo $! > "$PID_FILE"
  for _ in $(seq 1 120); do
    if answers; then log "broker up (pid $(cat "$PID_FILE")), log in $LOG_FILE"; echo "$BOOTSTRAP"; return; fi
    if ! running_pid >/dev/null; then log "broker exited during start-up, see $LOG_FILE"; tail -20 "$LOG_FILE" >&2; exit 1; fi
    sleep 0.5
  done
  log "broker did not answer on $BOOTSTRAP within 60 s, see $LOG_FILE"; stop; exit 1
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then log "not running"; rm -f "$PID_FILE"; return; fi
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "broker ignored SIGTERM for 30 s, killing"; kill -9 "$pid"; fi
  rm -f "$PID_FILE"
  log "stopped (pid $pid)"
}

status() {
  if pid="$(running_pid)"; then echo "running (pid $pid) on $BOOTSTRAP"; else echo "stopped"; return 1; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  install) install_jars ;;
  *) echo "usage: $0 start|stop|status|install" >&2; exit 2 ;;
esac
