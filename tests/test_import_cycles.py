"""No import cycles among the modules of app/, workers/, generation/ and retrieval/.

The dependency direction is views/api/tasks -> services -> models, retrieval, generation;
a cycle means two layers know each other. Every import statement counts, function-level
ones included (hiding an import in a function hides the cycle, not the dependency); only
imports under `if TYPE_CHECKING:` do not, since they never run.

The graph is read with `ast`, nothing is imported. An edge goes to the most specific
project module named: `from app.services import search` is `app.services.search`, and
`from app.models import Document` is the submodule that `app/models/__init__.py` re-exports
`Document` from. Dynamic imports (`importlib.import_module(f"...")`, Celery task names) are
not seen.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "workers", "generation", "retrieval")
EXCLUDED = ("app/migrations/",)

# Cycles that exist today and are being removed (issue #8); each entry is the set of
# modules of one cycle. This list only shrinks: a new cycle, or a module joining a known
# one, fails the test, and so does an entry that is no longer a cycle (delete it then).
# (generation.prompt -> types -> attention -> prompt is not one: types imports attention
# only under TYPE_CHECKING.)
KNOWN_CYCLES: list[frozenset[str]] = []


@dataclass(frozen=True)
class Edge:
    target: str
    line: int


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path = REPO) -> dict[str, Path]:
    """Module name -> file, for every module of the four packages."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if not relative.startswith(EXCLUDED):
                modules[_module_name(path, root)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under `node`, at any depth, except in `if TYPE_CHECKING:` bodies."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.orelse:  # the else branch does run
                if isinstance(statement, ast.Import | ast.ImportFrom):
                    yield statement
                yield from _runtime_imports(statement)
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        yield from _runtime_imports(child)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an ImportFrom reads from (relative imports resolved)."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


class ImportGraph:
    def __init__(self, modules: dict[str, Path]) -> None:
        self.modules = modules
        self.trees = {name: ast.parse(path.read_text(), filename=str(path)) for name, path in modules.items()}
        self.edges: dict[str, list[Edge]] = {name: self._edges(name) for name in modules}

    def _is_package(self, name: str) -> bool:
        return self.modules[name].name == "__init__.py"

    def _known(self, dotted: str) -> str | None:
        """The longest prefix of `dotted` that is a project module."""
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in self.modules:
                return candidate
        return None

    def _reexported_from(self, package: str, name: str, seen: frozenset[str] = frozenset()) -> str:
        """The module that `package/__init__.py` takes `name` from, or the package itself."""
        if package in seen or not self._is_package(package):
            return package
        for node in _runtime_imports(self.trees[package]):
            if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
                source = self._known(_absolute(node, package, True))
                if source is not None and source != package:
                    original = next(a.name for a in node.names if (a.asname or a.name) == name)
                    if f"{source}.{original}" in self.modules:
                        return f"{source}.{original}"
                    return self._reexported_from(source, original, seen | {package})
        return package

    def _edges(self, module: str) -> list[Edge]:
        edges = []
        for node in _runtime_imports(self.trees[module]):
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [self._known(alias.name) for alias in node.names]
            else:
                source = _absolute(node, module, self._is_package(module))
                for alias in node.names:
                    if f"{source}.{alias.name}" in self.modules:  # a submodule
                        targets.append(f"{source}.{alias.name}")
                    elif (known := self._known(source)) is not None:
                        targets.append(self._reexported_from(known, alias.name) if known == source else known)
            edges += [Edge(t, node.lineno) for t in targets if t is not None and t != module]
        first: dict[str, Edge] = {}
        for edge in edges:  # one edge per target: the first import of it
            first.setdefault(edge.target, edge)
        return list(first.values())

    def components(self) -> list[list[str]]:
        """The strongly connected components with more than one module (Tarjan), sorted."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        components: list[list[str]] = []

        def visit(node: str) -> None:
            index[node] = low[node] = len(index)
            stack.append(node)
            on_stack.add(node)
            for edge in self.edges[node]:
                if edge.target not in index:
                    visit(edge.target)
                    low[node] = min(low[node], low[edge.target])
                elif edge.target in on_stack:
                    low[node] = min(low[node], index[edge.target])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))

        for module in sorted(self.modules):
            if module not in index:
                visit(module)
        return sorted(components)

    def cycles(self, limit: int = 500) -> list[list[Edge]]:
        """Every elementary cycle (up to `limit`), each as its edges, starting from its
        smallest module name: a component can hold several cycles, told apart here."""
        found: list[list[Edge]] = []
        for component in self.components():
            for start in component:  # cycles through `start` and larger names only: each once
                allowed = {m for m in component if m >= start}
                stack: list[tuple[str, list[Edge]]] = [(start, [])]
                while stack and len(found) < limit:
                    node, path = stack.pop()
                    seen = {edge.target for edge in path}
                    for edge in reversed(self.edges[node]):
                        if edge.target == start:
                            found.append([*path, edge])
                        elif edge.target in allowed and edge.target not in seen:
                            stack.append((edge.target, [*path, edge]))
        return found[:limit]

    @staticmethod
    def modules_of(cycle: list[Edge]) -> frozenset[str]:
        return frozenset(edge.target for edge in cycle)

    @staticmethod
    def describe(cycle: list[Edge]) -> str:
        """`a (line 3) -> b (line 9) -> a`: each module with the line of its import of the next."""
        names = [cycle[-1].target, *(edge.target for edge in cycle)]
        steps = [f"{name} (line {edge.line}) -> " for name, edge in zip(names, cycle, strict=False)]
        return "".join(steps) + names[-1]


@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    return ImportGraph(project_modules())


def test_no_import_cycles(graph: ImportGraph) -> None:
    new = [c for c in graph.cycles() if not any(graph.modules_of(c) <= known for known in KNOWN_CYCLES)]
    assert not new, "import cycles (function-level imports count):\n" + "\n".join(
        graph.describe(c) for c in new
    )


def test_known_cycles_are_still_cycles(graph: ImportGraph) -> None:
    """The allow-list only shrinks: an entry that is no longer a cycle must go."""
    cycles = [graph.modules_of(c) for c in graph.cycles()]
    stale = [sorted(known) for known in KNOWN_CYCLES if not any(c <= known for c in cycles)]
    assert not stale, f"no longer cycles, delete them from KNOWN_CYCLES: {stale}"


# --- the checker itself ------------------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return project_modules(root)


def test_the_checker_sees_function_level_and_relative_cycles(tmp_path: Path) -> None:
    modules = _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/services/__init__.py": "",
            "app/services/a.py": "def f():\n    from app.services import b\n",
            "app/services/b.py": "from . import c\n",
            "app/services/c.py": "import app.services.a\n",
            "workers/__init__.py": "",
            "workers/tasks.py": "from app.services.a import f\n",
            "generation/__init__.py": "",
            "retrieval/__init__.py": "",
        },
    )
    graph = ImportGraph(modules)
    assert graph.components() == [["app.services.a", "app.services.b", "app.services.c"]]
    (cycle,) = graph.cycles()
    assert graph.describe(cycle) == (
        "app.services.a (line 2) -> app.services.b (line 1) -> app.services.c (line 1) -> app.services.a"
    )


def test_the_checker_ignores_type_checking_imports_and_follows_reexports(tmp_path: Path) -> None:
    modules = _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models/__init__.py": "from app.models.documents import Document\n",
            "app/models/documents.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from app.services.search import search\n",
            "app/services/__init__.py": "",
            "app/services/search.py": "from app.models import Document\n",
            "workers/__init__.py": "",
            "generation/__init__.py": "",
            "retrieval/__init__.py": "",
        },
    )
    graph = ImportGraph(modules)
    assert graph.cycles() == []
    assert [e.target for e in graph.edges["app.services.search"]] == ["app.models.documents"]
    # The same import at run time is a cycle.
    modules["app.models.documents"].write_text("from app.services.search import search\n")
    (cycle,) = ImportGraph(modules).cycles()
    assert ImportGraph.modules_of(cycle) == {"app.models.documents", "app.services.search"}
