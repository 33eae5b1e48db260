#!/usr/bin/env bash
# Creates .venv with the Python packages the tests use (Confluent's own client for the
# interoperability tests, componentize-py for examples/python-transform; from PyPI, pinned in
# tests/clients/requirements.txt) and prints the interpreter's path.
# Re-running is cheap: packages are installed again only when the requirements change.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
REQUIREMENTS=tests/clients/requirements.txt
STAMP="$VENV/.requirements"
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV" >&2
fi
if ! cmp -s "$REQUIREMENTS" "$STAMP"; then
  echo "python-env.sh: installing $REQUIREMENTS into $VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
  cp "$REQUIREMENTS" "$STAMP"
fi
echo "$PWD/$VENV/bin/python"
