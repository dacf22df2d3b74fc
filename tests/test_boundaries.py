"""retrieval/ and generation/ are plain Python: they never import Django, DRF, Celery or the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = {"django", "rest_framework", "drf_spectacular", "celery", "app", "workers"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["retrieval", "generation"])
def test_package_is_free_of_django(package: str) -> None:
    files = sorted((REPO / package).rglob("*.py"))
    assert files, f"{package}/ has no Python files"
    leaks = {str(f.relative_to(REPO)): sorted(_imports(f) & FORBIDDEN) for f in files}
    assert {f: names for f, names in leaks.items() if names} == {}


def test_the_check_sees_imports() -> None:
    tree_with_leak = REPO / "tests" / "test_boundaries.py"
    assert "pytest" in _imports(tree_with_leak)
