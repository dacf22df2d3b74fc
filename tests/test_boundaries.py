"""retrieval/ and generation/ are plain Python: they never import Django, DRF, Celery, the web
or database stack, the app or the workers (ARCHITECTURE.md, Invariants). Function-level
imports count; the one list of what is forbidden is here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PURE_PACKAGES = ("retrieval", "generation")
FORBIDDEN = {
    # the web framework, its API and schema layers
    "django",
    "rest_framework",
    "drf_spectacular",
    "whitenoise",
    "gunicorn",
    # the task queue and the services it needs
    "celery",
    "kombu",
    "redis",
    "psycopg",
    "dj_database_url",
    # this project's Django and Celery packages
    "app",
    "workers",
}


def imported_packages(source: str, filename: str = "<source>") -> set[str]:
    """The top-level names of every absolute import in `source`, at any depth."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_package_is_plain_python(package: str) -> None:
    files = sorted((REPO / package).rglob("*.py"))
    assert len(files) > 5, f"{package}/ has too few Python files: is the path right?"
    leaks = {
        str(path.relative_to(REPO)): sorted(imported_packages(path.read_text(), str(path)) & FORBIDDEN)
        for path in files
    }
    assert {path: names for path, names in leaks.items() if names} == {}


def test_the_check_sees_every_kind_of_import() -> None:
    source = (
        "import os, django.db\n"
        "from rest_framework import serializers\n"
        "from . import sibling\n"
        "def later():\n"
        "    from app.models import Document\n"
        "    import workers.tasks as tasks\n"
    )
    assert imported_packages(source) & FORBIDDEN == {"django", "rest_framework", "app", "workers"}
