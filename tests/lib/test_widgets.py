"""`efinance.lib.widgets.Select` writes, character for character, what Django's `Select` renders from its
templates: for plain and grouped choices, the selected option, every kind of attribute and every
value that must be escaped; and the forms that use it give the same page as Django's widget would."""

import pytest
from django import forms
from django.utils.safestring import mark_safe

from apikeys.forms import ActivityFilterForm, KeyFilterForm
from efinance.lib import widgets

CHOICES = [
    ("", "All users"),
    ("1", 'bob & "co" <b>'),
    ("2", mark_safe("<em>already safe</em>")),
    (3, "a number"),
]
GROUPED = [
    ("", "—"),
    ("Keys & more", [("key_created", "Key created"), ("key_deleted", "Key <deleted>")]),
    ("Logins", [("login", "Login")]),
]


def _both(choices, name="user", value=None, attrs=None):
    ours = widgets.Select(choices=choices).render(name, value, attrs)
    django = forms.Select(choices=choices).render(name, value, attrs)
    return ours, django


@pytest.mark.parametrize("value", [None, "", "1", 3, "3", "missing"])
def test_plain_choices_and_each_selection(value):
    ours, django = _both(CHOICES, value=value)
    assert ours == django


def test_grouped_choices():
    ours, django = _both(GROUPED, name="action", value="key_deleted")
    assert ours == django
    assert '<optgroup label="Keys &amp; more">' in ours


@pytest.mark.parametrize(
    "attrs",
    [
        {"id": "id_user", "aria-invalid": "true", "aria-describedby": "id_user_helptext id_user_error"},
        {"required": True, "disabled": False, "data-x": 'a"b<c>'},
        {"class": mark_safe("safe&class")},
    ],
)
def test_attributes_of_every_kind(attrs):
    ours, django = _both(CHOICES, value="1", attrs=attrs)
    assert ours == django


def test_a_name_that_needs_escaping():
    ours, django = _both(CHOICES, name='x"><script>')
    assert ours == django
    assert "<script>" not in ours


def test_the_key_lists_search_form_renders_as_with_djangos_widget(alice, bob):
    organization = alice.organization
    bound = {"q": "x", "user": "999999", "api": "production"}  # an unknown user: the field's error
    for data in (None, bound):
        ours = KeyFilterForm(data, organization=organization)
        theirs = KeyFilterForm(data, organization=organization)
        for name in ("user", "api"):
            theirs.fields[name].widget = forms.Select(choices=theirs.fields[name].choices)
        if data:
            assert not ours.is_valid() and not theirs.is_valid()
        assert str(ours["user"]) == str(theirs["user"])
        assert str(ours["api"]) == str(theirs["api"])
    assert 'aria-invalid="true"' in str(ours["user"])
    assert f">{bob.username}</option>" in str(ours["user"])


def test_the_activity_filter_renders_as_with_djangos_widget(alice):
    ours = ActivityFilterForm({"action": "key_created"}, organization=alice.organization)
    theirs = ActivityFilterForm({"action": "key_created"}, organization=alice.organization)
    for field in theirs.fields.values():
        if isinstance(field.widget, widgets.Select):
            field.widget = forms.Select(choices=field.choices)
    for name, field in ours.fields.items():
        if isinstance(field.widget, widgets.Select):
            assert str(ours[name]) == str(theirs[name]), name
