#!/usr/bin/env bash
# Builds app.py into a krest transform plugin (a Wasm component) with componentize-py, against
# the repository's wit/; prints the component's path. componentize-py comes from
# tests/clients/requirements.txt, in the venv of $KREST_TEST_PYTHON or the .venv that
# scripts/python-env.sh makes. Rebuilds only when app.py, the WIT or componentize-py changed.
# Usage: examples/python-transform/build.sh [OUT.wasm]   (default: python-transform.wasm here)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$(realpath -m "${1:-$here/python-transform.wasm}")"

python="${KREST_TEST_PYTHON:-}"
if [[ -z "$python" ]]; then
  python="$("$root/scripts/python-env.sh")"
fi
componentize="$(dirname "$python")/componentize-py"
if [[ ! -x "$componentize" ]]; then
  echo "build.sh: no componentize-py beside $python; install tests/clients/requirements.txt" \
       "into that environment (scripts/python-env.sh does)" >&2
  exit 1
fi

inputs="$(cat "$here/app.py" "$root/wit/krest.wit" | sha256sum | cut -d' ' -f1) $("$componentize" --version)"
stamp="$out.inputs"
if [[ -f "$out" && -f "$stamp" && "$(cat "$stamp")" == "$inputs" ]]; then
  echo "$out"
  exit 0
fi
mkdir -p "$(dirname "$out")"
"$componentize" -d "$root/wit" -w transform componentize -p "$here" app -o "$out.tmp" >&2
mv "$out.tmp" "$out"
echo "$inputs" > "$stamp"
echo "$out"
