"""The pieces of the speed work that rely on what Django, django-csp or django-ninja do not document, and
the versions of those that they were checked against (the ledger: docs/development/performance.md).

`tests/lib/test_private_apis.py` fails as soon as the installed version of one of them is not the
checked one, patch releases included (a private API may change in any release), so that an upgrade
re-validates these pieces on purpose instead of by surprise. To re-validate, for each piece of that
package: read what it relies on in the new version's source, run its test, count it alone again
(``python -m tools.bench_instructions``, with the piece taken out as its "back out" line in the ledger
says) and keep it only while it still buys its share; then write the new version below.
"""

from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

# The version of each package that the pieces below were read and tested against.
CHECKED = {"django": "5.2.20", "django-csp": "4.0", "django-ninja": "1.7.3"}


@dataclass(frozen=True)
class Piece:
    """One piece: where it is, whose internals it relies on and which, and the test that pins it."""

    name: str  # the dotted path of the class or function
    package: str  # the distribution whose internals it relies on
    relies_on: str
    test: str  # the test file that holds the piece to the package's own behaviour


PIECES = [
    Piece(
        "efinance.lib.headers.FixedHeaders",
        "django",
        "`ResponseHeaders._store` (lower-case name → (name, value)), written as `__setitem__` fills it",
        "tests/lib/test_fixed_headers.py",
    ),
    Piece(
        "efinance.lib.headers.set_content_length",
        "django",
        "`ResponseHeaders._store`",
        "tests/lib/test_fixed_headers.py",
    ),
    Piece(
        "efinance.lib.lean.LeanPathMiddleware",
        "django",
        "`BaseHandler._get_response` and its `_view_middleware`, `_template_response_middleware` and "
        "`_exception_middleware` lists, `convert_exception_to_response`: `load_middleware` for another list",
        "tests/lib/test_lean_path.py",
    ),
    Piece(
        "efinance.lib.lean.LeanSecurityMiddleware",
        "django",
        "`SecurityMiddleware.process_response` reads nothing of the request but `is_secure()`",
        "tests/lib/test_fixed_headers.py",
    ),
    Piece(
        "efinance.lib.lean.AcceptLanguageMiddleware",
        "django",
        "`get_language_from_request` reads nothing of the request but the language cookie and "
        "Accept-Language when it is not asked to check the path",
        "tests/lib/test_fixed_headers.py",
    ),
    Piece(
        "efinance.lib.csp.LeanContentSecurityPolicyMiddleware",
        "django-csp",
        "`CSPMiddleware.process_response` without `process_request` (no nonce), its `get_policy_parts`",
        "tests/lib/test_lean_path.py",
    ),
    Piece(
        "efinance.lib.loading.LoadedWithoutInit",
        "django",
        "`Model.__init__` skipped: `ModelState`, `_state.adding`/`_state.db`, values in `__dict__` by "
        "attname, `DeferredAttribute` and `ForeignKeyDeferredAttribute` as the only plain descriptors",
        "tests/lib/test_loading.py",
    ),
    Piece(
        "apikeys.sql.VERIFY",
        "django",
        "the SQLite backend's converters by declared type (`PARSE_DECLTYPES`), which the selected "
        "`+column` expressions do not have",
        "tests/lib/test_sql_statement.py",
    ),
    Piece(
        "billing.api.keys.ping",
        "django-ninja",
        "the temporal response (`response: HttpResponse`) carries the renderer's media type, and a "
        "returned response goes out as it is, without validation against the `Ping` schema",
        "tests/billing/test_api_auth.py",
    ),
    Piece(
        "efinance.lib.sql.Statement",
        "django",
        "the driver's cursor under `wrap_database_errors`, after `validate_no_broken_transaction` and "
        "`ensure_connection`, unless `execute_wrappers` or `queries_logged`; a cursor kept on the "
        "connection wrapper (PostgreSQL)",
        "tests/lib/test_sql_statement.py",
    ),
]


def unchecked(installed: Callable[[str], str] = metadata.version) -> list[str]:
    """A sentence for each package whose installed version is not the checked one, naming its pieces."""
    found = []
    for package, checked in CHECKED.items():
        version = installed(package)
        if version != checked:
            pieces = "; ".join(f"{piece.name} ({piece.test})" for piece in PIECES if piece.package == package)
            found.append(
                f"{package} {version} is installed, but the pieces on its private APIs were checked against "
                f"{checked}: re-validate {pieces}, as efinance/lib/private_apis.py says, then write {version} there"
            )
    return found
