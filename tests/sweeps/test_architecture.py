"""The layout that the README draws: four apps whose imports run billing → apikeys → users → audit only,
`efinance.lib` below them all, no import cycle anywhere, and receivers connected in `ready()`."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ["efinance", "audit", "users", "apikeys", "billing", "tools"]
# Who may import whom (besides itself). efinance's settings/urls/wsgi are the composition root.
ALLOWED = {
    "efinance.lib": set(),
    "audit": {"efinance.lib"},
    "users": {"audit", "efinance.lib"},
    "apikeys": {"users", "audit", "efinance.lib"},
    "billing": {"apikeys", "users", "audit", "efinance.lib"},
    "efinance": {"billing", "apikeys", "users", "audit", "efinance.lib"},
    "tools": {"billing", "apikeys", "users", "audit", "efinance.lib", "efinance", "tools"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _imports(path: Path, module: str, top_level_only: bool) -> set[str]:
    """Project modules that `module` imports (at module level only, or anywhere)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = module.rsplit(".", node.level)[0]
            names |= {f"{base}.{node.module}" if node.module else base}
    return {name for name in names if name.split(".")[0] in PACKAGES}


def _layer(module: str) -> str:
    return "efinance.lib" if module.startswith("efinance.lib") else module.split(".")[0]


def test_imports_run_billing_to_apikeys_to_users_to_audit_only():
    wrong = []
    for module, path in _modules().items():
        layer = _layer(module)
        for imported in _imports(path, module, top_level_only=False):
            target = _layer(imported)
            if target != layer and target not in ALLOWED[layer]:
                wrong.append(f"{module} imports {imported}")
    assert wrong == []


def test_there_is_no_import_cycle():
    modules = _modules()
    graph = {}
    for module, path in modules.items():
        # An import of `a.b.c` is a dependency on the module `a.b.c`, or on `a.b` when c is a name in it.
        targets = set()
        for imported in _imports(path, module, top_level_only=True):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != module:
                targets.add(imported)
        graph[module] = targets
    cycles = []

    def visit(node, stack, state):
        state[node] = "open"
        stack.append(node)
        for target in graph[node]:
            if state.get(target) == "open":
                cycles.append(" → ".join([*stack[stack.index(target) :], target]))
            elif target not in state:
                visit(target, stack, state)
        stack.pop()
        state[node] = "done"

    state = {}
    for module in sorted(graph):
        if module not in state:
            visit(module, [], state)
    # A package's __init__ importing its own submodules is no cycle of design; there are none anyway.
    assert cycles == []


def test_no_module_connects_receivers_at_import_time():
    decorated = []
    for module, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if getattr(target, "id", getattr(target, "attr", "")) == "receiver":
                        decorated.append(f"{module}.{node.name}")
    assert decorated == []
