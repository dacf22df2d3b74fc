"""A bad setting stops the start with a message that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _start(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CHUNK_TOKENS", "lots"),
        ("UPLOAD_MAX_BYTES", "ten megabytes"),
        ("DEBUG", "maybe"),
        ("GENERATOR_DTYPE", "float8"),
        ("ENCODER_BACKEND", "onnx-fp16"),
        ("ANSWER_MIN_EVIDENCE", "1.5"),
        ("ANSWER_MODE", "poetry"),
        ("ATTENTION_LAYERS", "ten-twenty"),
        ("DATABASE_URL", "not-a-url"),
        ("CHUNK_OVERLAP_TOKENS", "500"),
    ],
)
def test_bad_value_names_the_variable(variable: str, value: str, tmp_path: Path) -> None:
    result = _start(**{variable: value, "DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.splitlines()[-1]


def test_defaults_start_embedded(tmp_path: Path) -> None:
    result = _start(DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").exists()


def test_sizes_parse() -> None:
    from app.env import env_bytes

    os.environ["TEST_SIZE"] = "1.5MB"
    try:
        assert env_bytes("TEST_SIZE", 1) == int(1.5 * 1024**2)
    finally:
        del os.environ["TEST_SIZE"]
