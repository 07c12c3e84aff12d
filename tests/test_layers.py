"""Dependencies run one way: the import graph of the library, read from its source.

Imports inside functions count: they still tie the modules together. ``envs/`` is
installed as ``simreal.envs``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"simreal": ROOT / "simreal", "simreal.envs": ROOT / "envs"}
# Import cycles that exist today and are to go; a new cycle fails, and so does a listed one
# that has been broken (shrink the list with the fix).
KNOWN_CYCLES: list[set[str]] = []


def _modules() -> dict[str, Path]:
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """The library modules ``path`` imports, anywhere in the file."""
    tree = ast.parse(path.read_text())
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imports(p, m, set(modules)) for m, p in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in graph:
        if v not in index:
            visit(v)
    return found


def _third_party(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_the_only_import_cycles_are_the_known_ones() -> None:
    cycles = _cycles(_graph())
    assert sorted(map(sorted, cycles)) == sorted(map(sorted, KNOWN_CYCLES))


def test_parameters_and_randomization_import_nothing_above_them() -> None:
    """The vocabulary and the pure randomization core: no Gymnasium, no wrappers, no envs."""
    graph, modules = _graph(), _modules()
    allowed = {
        "simreal.parameters": ("simreal.parameters",),
        "simreal.randomization": ("simreal.parameters", "simreal.randomization"),
    }
    for module, imported in graph.items():
        for layer, below in allowed.items():
            if module == layer or module.startswith(layer + "."):
                above = {i for i in imported if not i.startswith(below)}
                assert not above, f"{module} imports {sorted(above)}"
                assert "gymnasium" not in _third_party(modules[module]), module


def test_the_graph_sees_imports_inside_functions() -> None:
    """The checks above would pass on an empty graph; this one would not."""
    graph = _graph()
    assert "simreal.vector.gymnasium_tasks" in graph["simreal.vector.batched_task"]
    assert "simreal.parameters.binding" in graph["simreal.parameters"]
    assert len(graph) > 100


def test_demonstration_datasets_sit_below_learning_and_sysid() -> None:
    """Learning reads and writes its datasets through simreal.datasets, not through sysid."""
    graph = _graph()
    for module, imported in graph.items():
        if module.startswith("simreal.datasets"):
            above = {i for i in imported if i.startswith(("simreal.learning", "simreal.sysid"))}
            assert not above, f"{module} imports {sorted(above)}"
        if module.startswith("simreal.learning"):
            sysid = {i for i in imported if i.startswith("simreal.sysid")}
            assert not sysid, f"{module} imports {sorted(sysid)}"
