"""The creation form's validity presets beside the date: 30 days, 90 days, 1 year, 2 years (the
maximum); plain radio buttons, so that they work without JS, and always within the two years."""

import datetime
import re

import pytest
from django.utils import timezone

from apikeys.models import ApiKey

URL = "/administration/api-keys/new/"


@pytest.fixture
def frozen(monkeypatch):
    """Today is 29.02.2024, for the form and for the key's creation time (the database's CHECK of the
    two years counts from the stored creation time; a day in the past, as the database refuses a
    creation time in the future)."""
    day = datetime.date(2024, 2, 29)
    noon = datetime.datetime(2024, 2, 29, 11, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)

    class Clock:
        """django.utils.timezone for the service that stores the key, its `now` at noon of that day
        (the session of the test client keeps the real clock)."""

        def __getattr__(self, name):
            return getattr(timezone, name)

        def now(self):
            return noon

    monkeypatch.setattr("apikeys.services.timezone", Clock())
    return day


def _post(client, bob, **data):
    html = client.get(URL).content.decode()
    nonce = re.search(r'name="nonce" value="([^"]+)"', html)[1]
    return client.post(
        URL,
        {
            "user": bob.pk,
            "api": "integration",
            "note": "",
            "nonce": nonce,
            "scopes": ["documents:read", "documents:write"],
            **data,
        },
    )


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("30d", datetime.date(2024, 3, 30)),
        ("90d", datetime.date(2024, 5, 29)),
        ("1y", datetime.date(2025, 2, 28)),
        ("2y", datetime.date(2026, 2, 28)),
    ],
)
def test_a_preset_sets_the_validity_whatever_the_date_field_holds(alice_client, bob, frozen, preset, expected):
    response = _post(alice_client, bob, validity=preset, valid_until="not a date")
    assert response.status_code == 200
    assert ApiKey.objects.get().valid_until == expected


def test_the_date_choice_and_a_form_without_a_choice_take_the_date(alice_client, bob, frozen):
    _post(alice_client, bob, validity="date", valid_until="31.12.2024")
    _post(alice_client, bob, valid_until="30.12.2024")
    assert sorted(ApiKey.objects.values_list("valid_until", flat=True)) == [
        datetime.date(2024, 12, 30),
        datetime.date(2024, 12, 31),
    ]


def test_the_date_choice_keeps_the_two_year_rule(alice_client, bob, frozen):
    response = _post(alice_client, bob, validity="date", valid_until="01.03.2026")
    assert response.status_code == 400
    assert "A key is valid for at most two years: choose 28.02.2026 or earlier." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_an_unknown_preset_is_a_form_error(alice_client, bob, frozen):
    response = _post(alice_client, bob, validity="3y", valid_until="31.12.2024")
    assert response.status_code == 400
    assert "Choose one of the validities offered." in response.content.decode()


def test_the_presets_are_radio_buttons_that_carry_their_date_for_the_script(alice_client, frozen):
    html = alice_client.get(URL).content.decode()
    assert re.search(r'type="radio" name="validity" value="30d"[^>]*data-valid-until="30\.03\.2024"', html)
    assert re.search(r'type="radio" name="validity" value="2y"[^>]*data-valid-until="28\.02\.2026"', html)
    assert re.search(r'type="radio" name="validity" value="date"[^>]*checked', html)
