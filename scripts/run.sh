#!/usr/bin/env bash
# Set up and start Groundwork on the embedded default (SQLite, in-process ingestion).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
export DJANGO_SETTINGS_MODULE=app.settings
.venv/bin/python manage.py migrate --noinput
# Chunks indexed by an earlier version get their sentence vectors (a no-op once done).
.venv/bin/python manage.py embed_sentences
.venv/bin/python manage.py collectstatic --noinput --verbosity 0
.venv/bin/python manage.py ensure_admin
# Convert the bundled decoder now (once, ~35 s): the first question must not pay for it.
.venv/bin/python manage.py prepare_models
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
echo "Groundwork is starting on http://$HOST:$PORT/ (Ctrl-C stops it)"
exec .venv/bin/gunicorn app.wsgi --config gunicorn.conf.py --bind "$HOST:$PORT"
