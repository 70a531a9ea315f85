"""Test helpers meant for reuse live in helper modules (tests/cast.py, tests/apikeys/key_list.py, ...)
or fixtures: no module of the tests imports a test module (a helper would be found among the tests of
another file, and a change to that file would break tests elsewhere), nor a private name of another
module of the tests, conftest included (what is shared is public, and named so)."""

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def _package_of(path: Path) -> str:
    return ".".join(path.parent.relative_to(TESTS.parent).parts)


def _is_test_module(name: str) -> bool:
    return name.split(".")[0] == "tests" and any(part.startswith("test_") for part in name.split("."))


def wrong_imports(source: str, package: str) -> list[str]:
    """The imports of `source`, a module of `package` (e.g. tests.apikeys), that break the rule."""
    wrong = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            wrong += [f"import {alias.name}" for alias in node.names if _is_test_module(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            if base.split(".")[0] != "tests":
                continue
            for alias in node.names:
                if _is_test_module(f"{base}.{alias.name}") or alias.name.startswith("_"):
                    wrong.append(f"from {base} import {alias.name}")
    return wrong


def test_no_module_of_the_tests_imports_a_test_module_or_a_private_helper():
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        where = path.relative_to(TESTS.parent)
        wrong += [f"{where}: {line}" for line in wrong_imports(path.read_text(), _package_of(path))]
    assert wrong == []


@pytest.mark.parametrize(
    "source",
    [
        "from tests.apikeys.test_key_list import URL",
        "from tests.billing import test_api_documents",
        "import tests.billing.test_api_documents",
        "from .test_key_list import tables",
        "from . import test_key_list",
        "from ..billing.test_api_documents import post",
        "from tests.conftest import _client_for",
        "from tests.apikeys.conftest import _user",
        "from tests.apikeys.key_list import _private",
        "def test_x():\n    from tests.conftest import _user\n",
    ],
)
def test_the_sweep_finds_each_spelling_of_a_wrong_import(source):
    assert wrong_imports(source, "tests.apikeys")


@pytest.mark.parametrize(
    "source",
    [
        "from tests.apikeys.key_list import URL, tables",
        "from tests.conftest import flip_last",
        "from tests.cast import PASSWORD, client_for",
        "from . import key_list",
        "from apikeys.models import _KEY_ID",
        "import pytest",
    ],
)
def test_the_sweep_lets_helper_modules_and_public_names_through(source):
    assert wrong_imports(source, "tests.apikeys") == []


DATE_AT_IMPORT = re.compile(r"^[A-Z_]+ = .*timezone\.(localdate|now)\(", re.M)


def test_no_test_module_takes_the_date_when_it_is_imported():
    """`TODAY = timezone.localdate()` at a module's top is yesterday for the tests that run after
    midnight in Zurich: a run that crosses it fails by the clock. `tests.cast.today()` reads it when asked."""
    found = [
        f"{path.relative_to(TESTS.parent)}: {match[0]}"
        for path in sorted(TESTS.rglob("*.py"))
        for match in DATE_AT_IMPORT.finditer(path.read_text())
    ]
    assert found == []
