"""`efinance.lib.private_apis`: the installed Django and django-csp are the versions that the speed
work's pieces on their private APIs were checked against, and the table names real pieces, real tests
and every piece of the ledger."""

import tomllib
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings

from efinance.lib.private_apis import CHECKED, PIECES, unchecked

ROOT = Path(settings.BASE_DIR)
LEDGER = ROOT / "docs" / "development" / "performance.md"


def test_the_installed_versions_are_those_the_pieces_were_checked_against():
    assert unchecked() == []


@pytest.mark.parametrize(
    ("package", "moved_to", "a_piece"),
    [
        ("django", "5.2.21", "efinance.lib.headers.FixedHeaders (tests/lib/test_fixed_headers.py)"),
        ("django-csp", "4.1", "efinance.lib.csp.LeanContentSecurityPolicyMiddleware"),
        ("django-ninja", "1.7.4", "billing.api.keys.ping (tests/billing/test_api_auth.py)"),
    ],
)
def test_another_version_even_a_patch_release_is_refused_with_its_pieces_named(package, moved_to, a_piece):
    installed = {**CHECKED, package: moved_to}
    [refusal] = unchecked(installed.__getitem__)
    assert refusal.startswith(f"{package} {moved_to} is installed, but the pieces on its private APIs were checked")
    assert a_piece in refusal
    others = [piece.name for piece in PIECES if piece.package != package]
    assert not [name for name in others if name in refusal]


def test_every_package_of_a_piece_is_checked_and_every_checked_package_has_a_piece():
    assert {piece.package for piece in PIECES} == set(CHECKED)


@pytest.mark.parametrize("piece", PIECES, ids=lambda piece: piece.name)
def test_each_piece_and_its_test_exist_and_the_ledger_names_both(piece):
    module, name = piece.name.rsplit(".", 1)
    assert hasattr(import_module(module), name)
    assert (ROOT / piece.test).is_file()
    ledger = LEDGER.read_text()
    assert f"`{name}`" in ledger
    assert piece.test in ledger


def test_the_project_pins_each_checked_package_to_its_checked_version():
    """A fresh set-up installs exactly the checked versions: a new patch release on the index must not
    turn the suite red on its own, and raising a pin goes through the re-validation above."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {requirement.partition("==")[0].lower(): requirement.partition("==")[2] for requirement in dependencies}
    assert {package: pins.get(package) for package in CHECKED} == CHECKED
