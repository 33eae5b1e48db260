#!/usr/bin/env bash
# Produce → consume → commit with curl, as a client of Confluent's REST Proxy would.
# Runs as written against `krest serve --dev` (topic `demo`):
#   examples/walkthrough.sh [BASE_URL]        # default http://localhost:8082
set -euo pipefail
BASE="${1:-http://localhost:8082}"
V2='application/vnd.kafka.v2+json'
BINARY='application/vnd.kafka.binary.v2+json'
JSON='application/vnd.kafka.json.v2+json'
GROUP="walkthrough"
say() { printf '\n# %s\n' "$*"; }

say "produce two binary records (Base64: key, hello) and one JSON record to topic demo"
curl -sS -f -H "Content-Type: $BINARY" -H "Accept: $V2" \
  -d '{"records":[{"key":"a2V5","value":"aGVsbG8="},{"value":"d29ybGQ="}]}' "$BASE/topics/demo"
curl -sS -f -H "Content-Type: $JSON" -H "Accept: $V2" \
  -d '{"records":[{"value":{"greeting":"hello"}}]}' "$BASE/topics/demo"

say "create a binary consumer instance in group $GROUP"
created=$(curl -sS -f -H "Content-Type: $V2" \
  -d '{"name":"walker","format":"binary","auto.offset.reset":"earliest","auto.commit.enable":"false"}' \
  "$BASE/consumers/$GROUP")
echo "$created"
INSTANCE=$(printf '%s' "$created" | sed -E 's/.*"base_uri":"([^"]+)".*/\1/')
trap 'curl -sS -X DELETE "$INSTANCE" >/dev/null || true' EXIT

say "subscribe it to demo"
curl -sS -f -H "Content-Type: $V2" -d '{"topics":["demo"]}' "$INSTANCE/subscription"

say "read records (the first reads may be empty while the group forms)"
for _ in $(seq 1 20); do
  records=$(curl -sS -f -H "Accept: $BINARY" "$INSTANCE/records?timeout=1000")
  if [[ "$records" != "[]" ]]; then break; fi
done
echo "$records"
[[ "$records" != "[]" ]] || { echo "no records arrived" >&2; exit 1; }

say "commit what was read, then look at the committed offset of partition 0"
curl -sS -f -X POST -H "Content-Type: $V2" "$INSTANCE/offsets"
sleep 1
curl -sS -f -X GET -H "Content-Type: $V2" -d '{"partitions":[{"topic":"demo","partition":0}]}' "$INSTANCE/offsets"

say "delete the instance"
curl -sS -f -X DELETE "$INSTANCE" -o /dev/null -w '%{http_code}\n'
trap - EXIT
