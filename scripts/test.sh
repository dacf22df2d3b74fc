#!/usr/bin/env bash
# Set up and run the whole test suite. With DATABASE_URL and REDIS_URL set, the tests run
# against PostgreSQL and a real Celery worker; without them, on SQLite in embedded mode.
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
trap 'rm -rf "$DATA_DIR"' EXIT

.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
