#!/usr/bin/env bash
# Builds app.js into a krest transform plugin (a Wasm component) with componentize-js, against
# the repository's wit/; prints the component's path. componentize-js comes from npm at the
# version package-lock.json pins (`npm ci`, once). Rebuilds only when app.js, the WIT or the
# lock changed. Needs Node.js 18+ and npm.
# Usage: examples/js-transform/build.sh [OUT.wasm]   (default: js-transform.wasm here)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$(realpath -m "${1:-$here/js-transform.wasm}")"
cd "$here"

if ! cmp -s package-lock.json node_modules/.krest-installed 2>/dev/null; then
  echo "build.sh: installing componentize-js (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json node_modules/.krest-installed
fi

inputs="$(cat app.js "$root/wit/krest.wit" package-lock.json | sha256sum | cut -d' ' -f1)"
stamp="$out.inputs"
if [[ -f "$out" && -f "$stamp" && "$(cat "$stamp")" == "$inputs" ]]; then
  echo "$out"
  exit 0
fi
mkdir -p "$(dirname "$out")"
# krest grants plugins no network: leave out the wasi:http imports (`fetch`).
node_modules/.bin/componentize-js app.js --wit "$root/wit" --world-name transform \
  --disable http fetch-event -o "$out.tmp" >&2
mv "$out.tmp" "$out"
echo "$inputs" > "$stamp"
echo "$out"
