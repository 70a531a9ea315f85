"""What the tests of written references share: the checkout's files, and where a Python name is defined.

docs/rules.md (`tests/sweeps/test_rules_table.py`) and every other reference in the README, the docs
and the code's comments (`tests/sweeps/test_doc_references.py`) are checked against the same checkout.
"""

import ast
import os
from functools import cache
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

#: Directories of a checkout that are not the project: tools' output, caches, the virtualenv.
NOT_THE_PROJECT = {
    ".git",
    ".venv",
    ".pytest_cache",
    ".ruff_cache",
    "__pycache__",
    "build",
    "node_modules",
    "site",
    "staticfiles",
    "test-results",
    "var",
}


@cache
def project_files() -> tuple[Path, ...]:
    """Every file of the checkout, relative to its root, outside `NOT_THE_PROJECT`."""
    found = []
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = sorted(name for name in subdirectories if name not in NOT_THE_PROJECT)
        base = Path(directory).relative_to(ROOT)
        found.extend(base / name for name in sorted(files))
    return tuple(found)


def _names_bound(node: ast.AST, imported: bool) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [target.id for target in node.targets if isinstance(target, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if imported and isinstance(node, ast.Import | ast.ImportFrom):
        return [(alias.asname or alias.name).split(".")[0] for alias in node.names]
    return []


@cache
def _module_body(path: Path) -> list[ast.stmt]:
    return ast.parse(path.read_text()).body


def defined(path: Path, dotted: str, *, imported: bool = False) -> bool:
    """Whether `dotted` (a function, a class, Class.method or a name assigned at module level) is
    defined in the Python file `path`; with `imported`, a name the module imports counts too (what a
    package's `__init__` offers)."""
    scope = _module_body(path)
    for part in dotted.split("."):
        found = next((node for node in scope if part in _names_bound(node, imported)), None)
        if found is None:
            return False
        scope = getattr(found, "body", [])
    return True
