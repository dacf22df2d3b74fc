"""Static files are served by gunicorn started the README's way, and without collectstatic.

A chat page without chat.js posts its form natively and shows the raw event stream, so
this is checked on a real server: `migrate`, `collectstatic`, `gunicorn app.wsgi --config
gunicorn.conf.py`, in a data directory of its own (embedded mode).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import REPO, base_env, gunicorn, request

pytestmark = pytest.mark.slow

ASSETS = ["chat.js", "library.js", "app.css"]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = base_env(DATA_DIR=str(data_dir), **extra)
    for name in ("DATABASE_URL", "REDIS_URL", "STATIC_DIR", "MEDIA_DIR", "INDEX_DIR"):
        if name not in extra:
            env.pop(name, None)
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True, capture_output=True)


def _assert_served(server: str) -> None:
    for name in ASSETS:
        status, body, headers = request(server, "GET", f"/static/{name}")
        assert status == 200, (name, status)
        assert body == (REPO / "static" / name).read_bytes()
    status, _, headers = request(server, "GET", "/static/chat.js")
    assert "javascript" in headers["Content-Type"]
    status, _, _ = request(server, "GET", "/static/admin/css/base.css")
    assert status == 200


def test_static_files_served_the_readme_way(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "collectstatic", "--noinput", "-v0")
    assert (tmp_path / "data" / "static" / "chat.js").is_file()
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        _assert_served(server)


def test_static_files_collected_at_build_time_like_the_docker_image(tmp_path: Path) -> None:
    """The Dockerfile collects into STATIC_DIR with a throwaway DATA_DIR; the runtime DATA_DIR differs."""
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "STATIC_DIR=/srv/groundwork/staticfiles" in dockerfile and "collectstatic" in dockerfile
    static_dir = tmp_path / "image-static"
    _manage(_env(tmp_path / "build", STATIC_DIR=str(static_dir)), "collectstatic", "--noinput", "-v0")
    runtime = _env(tmp_path / "data", STATIC_DIR=str(static_dir))
    _manage(runtime, "migrate", "--noinput", "-v0")
    with gunicorn(runtime, tmp_path / "gunicorn.log") as server:
        _assert_served(server)


def test_static_files_served_even_without_collectstatic(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    _manage(env, "migrate", "--noinput", "-v0")
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        _assert_served(server)
