"""What the README, the docs and the code's comments name exists: a reference that outlives what it
names sends the reader nowhere, and files, tests and migrations move.

Read are README.md, every page under docs/, and the comments and docstrings of every Python file of the
project. In them:

- a path from the checkout's root (`apikeys/sql.py`, `tests/sweeps/`, `docs/operations/logs.md#events`,
  a glob such as `tests/billing/test_api_*.py`) must exist, and a Markdown page's anchor be one of its
  headings; a bare file name (`conftest.py`, `select_option.html`) must be a file of the project's or
  of Django's;
- a test (`tests/apikeys/test_tokens.py::test_a_token_is_prefix_key_id_secret_and_checksum`, or the
  function's name alone) must be defined;
- a migration (`0012_keys_kept_forever`, `apikeys/0012_keys_kept_forever`) must exist in that app, or in
  some app when none is named. Outside the migrations, a migration is named by what it does, never by
  its number alone: numbers change when branches merge. A migration may name an earlier one of its own
  app by number, as Django's own do; that number must exist;
- a dotted name of the project in the README or the docs (`apikeys.tokens.TOKEN_SEARCH_RE`,
  `tools.bench_auth`, `billing.AuthFailureCounter`) must be a module, or a name defined in one;
- a comment that sends the reader to a section of the README («…») names a heading it has.

CHANGELOG.md is history: what it names may be gone. The site is built with `--strict` below, so that a
link or an anchor between its pages that is broken fails too.
"""

import ast
import io
import os
import re
import subprocess
import sys
import tokenize
from functools import cache
from pathlib import Path

import django
from markdown.extensions.toc import slugify

from tests.references import ROOT, defined, project_files

MARKDOWN = [
    Path("README.md"),
    *sorted(path for path in project_files() if path.parts[0] == "docs" and path.suffix == ".md"),
]
PYTHON = [path for path in project_files() if path.suffix == ".py"]
MIGRATIONS = {(path.parts[0], path.stem) for path in PYTHON if len(path.parts) == 3 and path.parts[1] == "migrations"}
APPS = sorted({app for app, _name in MIGRATIONS})
PACKAGES = sorted({path.parts[0] for path in PYTHON if len(path.parts) == 2 and path.name == "__init__.py"})
ROOTS = sorted({path.parts[0] for path in project_files() if len(path.parts) > 1})
ROOT_FILES = sorted(path.name for path in project_files() if len(path.parts) == 1 and not path.name.startswith("."))

_ROOTS = "|".join(re.escape(root) for root in ROOTS)
_ROOT_FILES = "|".join(re.escape(name) for name in ROOT_FILES)
#: A path from the checkout's root: it starts with one of its directories or files (not after a slash: URLs).
PATH = re.compile(rf"(?<![\w./$~-])((?:{_ROOTS})/[\w./*-]*|(?:{_ROOT_FILES})\b)(#[\w-]+)?")
#: A file named without its directory (not a dotted module: `billing.sql`).
BARE_FILE = re.compile(rf"(?<![\w./$~-])(?!(?:{'|'.join(PACKAGES)})\.)([\w-]+\.(?:py|html|sql|md))\b(?!/)")
TEST_ID = re.compile(r"(tests/[\w/]+\.py)::([\w:]+)")
TEST_NAME = re.compile(r"(?<![\w./:-])(test_\w+)\b(?!\.py|::|/)")
MIGRATION = re.compile(rf"(?:\b({'|'.join(APPS)})/(?:migrations/)?)?(?<![\w.-])(\d{{4}}_[a-z]\w*?)(?:\.py)?\b")
#: A number that may be a migration's: it is one when "migration" or an app's name comes just before
#: it (after a slash or a space), or an 's after it; a date or a decimal is not.
NUMBER = re.compile(r"(?<![\w.:+-])(0\d{3})(?![\w]|[.:-]\d)")
MIGRATION_CONTEXT = re.compile(rf"\bmigrations?\b|\b({'|'.join(APPS)})[/ ]$")
DOTTED = re.compile(rf"`((?:{'|'.join(PACKAGES)})(?:\.\w+)+)(?:\(\))?`")
#: A sentence that sends the reader to a section of the README, by its title in «» or after a colon.
README_SECTION = re.compile(r"README(?:'s)?(?: table)?(?:,? «([^»]+)»|: ([A-Z][\w ]*\w))")


def _comments_and_docstrings(path: Path) -> list[tuple[int, str]]:
    """The comments and docstrings of a Python file, with their line numbers."""
    source = (ROOT / path).read_text()
    pieces = [
        (token.start[0], token.string)
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=False)
            if docstring is not None:
                pieces.append((node.body[0].lineno, docstring))
    return pieces


def _lines(path: Path) -> list[tuple[int, str]]:
    if path.suffix == ".py":
        return _comments_and_docstrings(path)
    return list(enumerate((ROOT / path).read_text().splitlines(), start=1))


@cache
def _file_names() -> set[str]:
    """The names of the project's files, and of Django's (whose templates and modules comments name)."""
    return {path.name for path in project_files()} | {path.name for path in Path(django.__file__).parent.rglob("*")}


@cache
def _tests() -> set[str]:
    """Every function of the tests whose name starts with test_, and every test module's name."""
    names = set()
    for path in PYTHON:
        if path.parts[0] == "tests":
            names.add(path.stem)
            tree = ast.parse((ROOT / path).read_text())
            names.update(node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.ClassDef))
    return {name for name in names if name.startswith("test_")}


@cache
def _anchors(path: Path) -> set[str]:
    """The anchors of a Markdown page as the site makes them: its headings, slugified as Python-Markdown's
    `toc` extension does, and explicit `{#id}`s."""
    anchors = set()
    for line in (ROOT / path).read_text().splitlines():
        heading = re.match(r"#{1,6} +(.*?)(?: *\{#([\w-]+)\})?\s*$", line)
        if heading:
            anchors.add(heading.group(2) or slugify(re.sub(r"[`*]", "", heading.group(1)), "-"))
    return anchors


def _path_exists(path: str, anchor: str | None) -> bool:
    path = path.rstrip(".")
    if re.fullmatch(r"\w+/\d{4}(_\w+)?", path):
        return True  # app/0001_initial: a migration, checked as one below
    if "*" in path:
        return any(ROOT.glob(path))
    if not (ROOT / path).exists():
        return False
    return anchor is None or (path.endswith(".md") and anchor[1:] in _anchors(Path(path)))


def _module(parts: list[str]) -> tuple[Path, list[str]]:
    """The Python file of the longest module prefix of `parts`, and the names left after it."""
    path = ROOT / parts[0]
    rest = parts[1:]
    while rest and ((path / rest[0]).is_dir() or (path / f"{rest[0]}.py").is_file()):
        path = path / rest[0]
        rest = rest[1:]
    return (path / "__init__.py" if path.is_dir() else path.with_suffix(".py")), rest


def _dotted_exists(dotted: str) -> bool:
    parts = dotted.split(".")
    module, rest = _module(parts)
    if not rest:
        return True
    if defined(module, ".".join(rest), imported=True):
        return True
    # app_label.Model, as Django names a model.
    models, model_rest = _module([parts[0], "models"])
    return (
        module.name == "__init__.py"
        and models.exists()
        and not model_rest
        and defined(models, ".".join(rest), imported=True)
    )


def _migration_file_app(path: Path) -> str | None:
    return path.parts[0] if len(path.parts) == 3 and path.parts[1] == "migrations" else None


def _problems(path: Path) -> list[str]:
    return _problems_in(path, _lines(path))


def _problems_in(path: Path, lines: list[tuple[int, str]]) -> list[str]:
    problems = []
    in_migration = _migration_file_app(path)
    for line, text in lines:
        where = f"{path}:{line}"
        for match in PATH.finditer(text):
            if not _path_exists(match.group(1), match.group(2)):
                problems.append(f"{where}: no such file or anchor: {match.group(0).rstrip('.')}")
        for match in BARE_FILE.finditer(text):
            if match.group(1) not in _file_names():
                problems.append(f"{where}: no file of that name: {match.group(1)}")
        for match in TEST_ID.finditer(text):
            file, name = ROOT / match.group(1), match.group(2).replace("::", ".")
            if file.is_file() and not defined(file, name):
                problems.append(f"{where}: no such test: {match.group(0)}")
        for match in TEST_NAME.finditer(text):
            if match.group(1) not in _tests():
                problems.append(f"{where}: no such test: {match.group(1)}")
        for match in MIGRATION.finditer(text):
            app, name = match.groups()
            if (app and (app, name) not in MIGRATIONS) or not any(known == name for _app, known in MIGRATIONS):
                problems.append(f"{where}: no such migration: {match.group(0)}")
        for match in NUMBER.finditer(text):
            before, after = text[max(0, match.start() - 60) : match.start()], text[match.end() :]
            context = MIGRATION_CONTEXT.search(before)
            if not (in_migration or context or after.startswith("'s")):
                continue
            app = (context and context.group(1)) or in_migration
            if not in_migration:
                problems.append(f"{where}: a migration named by its number; name it by what it does: {match.group(0)}")
            elif not any(known == app and name.startswith(match.group(1) + "_") for known, name in MIGRATIONS):
                problems.append(f"{where}: no migration {match.group(1)} in {app}")
        if path.suffix == ".md":
            for match in DOTTED.finditer(text):
                if not _dotted_exists(match.group(1)):
                    problems.append(f"{where}: no such module or name: {match.group(1)}")
        for match in README_SECTION.finditer(text):
            section = match.group(1) or match.group(2)
            if slugify(section, "-") not in _anchors(Path("README.md")):
                problems.append(f"{where}: the README has no section «{section}»")
    return problems


def test_the_readme_and_the_docs_name_only_what_exists():
    problems = [problem for path in MARKDOWN for problem in _problems(path)]
    assert problems == []


def test_comments_and_docstrings_name_only_what_exists():
    problems = [problem for path in PYTHON for problem in _problems(path)]
    assert problems == []


def test_the_checks_catch_what_moved_or_never_was():
    """Each check above, shown failing on a reference of each kind that is wrong, and passing on right ones."""
    page = Path("docs") / "page.md"
    wrong = [
        "`tests/test_security_headers.py`",
        "`docs/operations/nothing.md`",
        "`README.md#no-such-section`",
        "`tests/sweeps/test_doc_references.py::test_no_such_thing`",
        "`test_no_such_thing`",
        "`no_such_file.py`",
        "`0008_keys_kept_forever`",
        "`billing/0012_keys_kept_forever`",
        "the migration 0012",
        "`apikeys/0007`",
        "`apikeys.tokens.NO_SUCH_NAME`",
        "`efinance.lib.no_such_module.thing`",
    ]
    for reference in wrong:
        assert len(_problems_in(page, [(1, reference)])) == 1, reference
    right = [
        "`tests/sweeps/`, `tests/billing/test_api_*.py`, `README.md`, `conftest.py`",
        "`tests/sweeps/test_doc_references.py::test_the_checks_catch_what_moved_or_never_was`",
        "`apikeys/migrations/0012_keys_kept_forever.py`, `0001_initial`, `billing/0002_tables`",
        "`tools.bench_auth`, `apikeys.tokens.TOKEN_SEARCH_RE`, `users.User`",
        "dates 0001-01-01, 01.01.0001 and 10000; the amount 0.05; 203.0.113.7; /support/apikeys/apikey/",
    ]
    for references in right:
        assert _problems_in(page, [(1, references)]) == [], references
    migration = Path("apikeys") / "migrations" / "0099_example.py"
    assert _problems_in(migration, [(1, "the trigger of 0002, the index of 0009")]) == []
    assert len(_problems_in(migration, [(1, "the trigger of 0099")])) == 1


def _mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (the virtualenv's mkdocs, our own configuration)
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def test_the_site_builds_without_a_broken_link_or_anchor(tmp_path):
    build = _mkdocs_build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert build.returncode == 0, build.stderr


def test_a_broken_link_or_anchor_fails_the_build(tmp_path):
    """The site's own settings (mkdocs.yml's `validation`), on two pages: a link to an anchor a page does
    not have, and a link to a page that does not exist, each fail the build; the right links pass."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "other.md").write_text("# Other\n\n## A section\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"INHERIT: {ROOT / 'mkdocs.yml'}\ndocs_dir: docs\nnav: [index.md, other.md]\n")
    for link, fails in [
        ("other.md#a-section", False),
        ("other.md#no-such-section", True),
        ("no-such-page.md", True),
    ]:
        (docs / "index.md").write_text(f"# Home\n\n[there]({link})\n")
        build = _mkdocs_build(config, tmp_path / "site")
        assert (build.returncode != 0) == fails, (link, build.stderr)
