"""docker-compose.yml is valid and has the services and volumes the stack needs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed")
def test_compose_config_is_valid() -> None:
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert set(config["services"]) == {"web", "worker", "db", "broker"}
    assert {"media", "index", "model-cache"} <= set(config["volumes"])
    for name in ("web", "worker", "db", "broker"):
        assert "healthcheck" in config["services"][name], name
    assert config["services"]["db"]["image"].startswith("postgres:16")
    assert config["services"]["broker"]["image"].startswith("redis:7")
    assert "celery" in str(config["services"]["worker"]["command"])
    assert "gunicorn" in str(config["services"]["web"]["command"])
