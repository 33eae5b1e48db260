#!/usr/bin/env bash
# Runs the whole test suite against a real Kafka broker. Starts the broker with
# scripts/kafka.sh (and stops it afterwards) unless one is already running; prepares the
# Python environment of the interoperability tests (scripts/python-env.sh).
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

started=""
stop_broker() { if [[ -n "$started" ]]; then scripts/kafka.sh stop; fi; }
trap stop_broker EXIT
if ! scripts/kafka.sh status >/dev/null 2>&1; then
  scripts/kafka.sh start >/dev/null
  started=1
fi
export KREST_TEST_BOOTSTRAP="127.0.0.1:${KREST_KAFKA_PORT:-19092}"
# Confluent's Python client, for the interoperability tests.
KREST_TEST_PYTHON="$(scripts/python-env.sh)"
export KREST_TEST_PYTHON
# Every test binary runs even after one fails, so a run reports all failures.
cargo test --workspace --no-fail-fast "$@"
