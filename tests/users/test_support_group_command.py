"""`manage.py support_group`: a production start needs no demo data to have its support staff."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from users.models import User
from users.services import SUPPORT_GROUP, SUPPORT_PERMISSIONS


def _run(*args) -> str:
    out = StringIO()
    call_command("support_group", *args, stdout=out)
    return out.getvalue()


def test_it_creates_the_group_with_exactly_the_support_permissions(db):
    out = _run()
    group = Group.objects.get(name=SUPPORT_GROUP)
    granted = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert granted == set(SUPPORT_PERMISSIONS)
    assert ("axes", "delete_accessattempt") in granted  # support unlocks logins
    assert f"{len(SUPPORT_PERMISSIONS)} permissions" in out


def test_running_it_again_changes_nothing(db):
    _run()
    _run()
    assert Group.objects.filter(name=SUPPORT_GROUP).count() == 1
    assert Group.objects.get(name=SUPPORT_GROUP).permissions.count() == len(SUPPORT_PERMISSIONS)


def test_it_makes_an_existing_bank_user_support_staff(db):
    User.objects.create_user(username="sven", password="x-long-password-1")
    assert "«sven» is support staff." in _run("--add", "sven")
    sven = User.objects.get(username="sven")
    assert sven.is_staff and not sven.is_superuser
    assert sven.groups.filter(name=SUPPORT_GROUP).exists()


def test_a_customer_cannot_be_made_support_staff(alice):
    with pytest.raises(CommandError, match="belongs to an e-finance contract"):
        _run("--add", "alice")
    alice.refresh_from_db()
    assert not alice.is_staff
    assert not alice.groups.exists()


def test_an_unknown_user_is_an_error(db):
    with pytest.raises(CommandError, match="No user «nobody»"):
        _run("--add", "nobody")
