"""generation/ stays plain Python: no Django, DRF, Celery, app or workers imports."""

import ast
from pathlib import Path

import generation

FORBIDDEN = {"django", "rest_framework", "celery", "app", "workers"}


def test_generation_imports_no_web_or_worker_code():
    package = Path(generation.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert len(list(package.rglob("*.py"))) > 5
    assert offenders == []
