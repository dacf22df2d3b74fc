#!/usr/bin/env bash
# Set up, then the gate in order: ruff, mypy (0 errors over the whole project, stubs pinned
# in requirements-dev.txt), pytest. With DATABASE_URL and REDIS_URL set, the tests run
# against PostgreSQL and a real Celery worker; without them, on SQLite in embedded mode.
# Arguments go to pytest. The last line printed is pytest's own summary, and the exit status
# is pytest's: 5 ("no tests ran") is a failure, since a gate that ran no test passed nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh --dev
# The browser test drives Debian's Chromium and PDF parsing OCRs scanned pages with
# Tesseract; install them when we may (root, e.g. CI).
if ! command -v chromium >/dev/null 2>&1 || ! command -v docker-compose >/dev/null 2>&1 || ! command -v tesseract >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium docker-compose tesseract-ocr >/dev/null
  else
    echo "note: chromium, docker-compose or tesseract is missing and cannot be installed without root; those tests will be skipped"
  fi
fi

# Tests get a data directory of their own: uploads, the index and the SQLite files of a
# test run never touch the data of a local install. The converted decoder is kept in
# var/model-cache between runs, since converting it takes half a minute.
DATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/groundwork-test.XXXXXX")
export DATA_DIR
export MODEL_CACHE_DIR=${MODEL_CACHE_DIR:-$PWD/var/model-cache}
export HF_HUB_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE
# Live-server threads must not keep connections open, or the test database cannot be dropped.
export DB_CONN_MAX_AGE=0
# Silent: nothing may be printed after pytest's summary line.
trap 'rm -rf "$DATA_DIR" >/dev/null 2>&1 || true' EXIT

# Convert the bundled decoder before any test: no test pays for it (nor for its first load).
.venv/bin/python manage.py prepare_models
.venv/bin/ruff check .
.venv/bin/mypy .
.venv/bin/python -m pytest "$@"
