"""The creation form: who can be chosen, which API, the note, the validity, and bad input."""

import datetime
import re
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from apikeys import services
from apikeys.models import Api, ApiKey
from tests.apikeys.policy_cast import set_policy
from tests.cast import make_user
from tests.conftest import key_count

URL = "/administration/api-keys/new/"


def _nonce(client) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', client.get(URL).content.decode())[1]


def _post(client, **fields):
    data = {
        "api": Api.INTEGRATION,
        "note": "ERP",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        "nonce": _nonce(client),
        "scopes": ["documents:read", "documents:write"],
    }
    data.update(fields)
    return client.post(URL, data)


@pytest.fixture
def freeze_today(monkeypatch):
    def freeze(day: datetime.date):
        # A key made that day is created at noon in Zurich (the database checks the validity against the
        # creation time, and refuses one in the future: the days are past); the rest of the clock
        # (sessions) stays real.
        noon = datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone())
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
        monkeypatch.setattr(services, "timezone", SimpleNamespace(now=lambda: noon, localdate=timezone.localdate))

    return freeze


def test_the_dropdown_offers_every_user_of_the_organization_and_no_one_else(
    alice_client, alice, bob, charlie, sam, make_key
):
    make_key(user=bob)  # a user who already holds a key is offered too
    carla = make_user("carla", alice.organization)
    make_user("dora", alice.organization, is_active=False)
    html = alice_client.get(URL).content.decode()
    offered = set(re.findall(r'<option value="(\d+)"', html))
    assert offered == {str(alice.pk), str(bob.pk), str(carla.pk)}
    assert str(charlie.pk) not in offered
    assert str(sam.pk) not in offered


def test_it_creates_a_key_for_the_chosen_user_and_api(alice_client, alice, bob):
    response = _post(alice_client, user=bob.pk, api=Api.PRODUCTION, note="ERP invoicing")
    assert response.status_code == 200
    key = ApiKey.objects.get()
    assert (key.user, key.organization, key.created_by, key.api, key.note) == (
        bob,
        alice.organization,
        alice,
        Api.PRODUCTION,
        "ERP invoicing",
    )


def test_a_user_of_another_organization_is_a_form_error_not_a_key(alice_client, charlie):
    response = _post(alice_client, user=charlie.pk)
    assert response.status_code == 400
    assert "Choose a user of your organization." in response.content.decode()
    assert key_count() == 0
    assert not ApiKey.objects.filter(user=charlie).exists()


def test_an_unknown_api_is_a_form_error(alice_client, bob):
    response = _post(alice_client, user=bob.pk, api="staging")
    assert response.status_code == 400
    assert key_count() == 0


def test_the_note_is_at_most_200_characters(alice_client, bob):
    assert _post(alice_client, user=bob.pk, note="n" * 200).status_code == 200
    response = _post(alice_client, user=bob.pk, note="n" * 201)
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()
    assert key_count() == 1


def test_validity_defaults_to_one_year_from_today(alice_client, freeze_today):
    freeze_today(datetime.date(2025, 5, 14))
    form = alice_client.get(URL).context["form"]
    assert form.fields["valid_until"].initial == datetime.date(2026, 5, 14)


def test_validity_defaults_to_the_contracts_maximum_when_shorter(alice_client, demo_ag, freeze_today):
    freeze_today(datetime.date(2025, 5, 14))
    set_policy(demo_ag, max_validity_days=90)
    html = alice_client.get(URL).content.decode()
    assert alice_client.get(URL).context["form"].fields["valid_until"].initial == datetime.date(2025, 8, 12)
    # The rule said once, in the contract's own terms: not «two years» when the policy says 90 days.
    assert "at most two years" not in html
    assert html.count("Your contract's security policy allows at most 90 days.") == 1


def test_the_validity_field_shows_and_takes_the_swiss_format(alice_client, bob, freeze_today):
    freeze_today(datetime.date(2025, 5, 14))
    html = alice_client.get(URL).content.decode()
    assert re.search(r'<input type="text" name="valid_until" value="14\.05\.2026"', html)
    response = _post(alice_client, user=bob.pk, valid_until="31.12.2025")
    assert response.status_code == 200
    assert ApiKey.objects.get().valid_until == datetime.date(2025, 12, 31)


def test_validity_may_end_today_or_on_the_last_day_but_never_later(alice_client, bob, freeze_today):
    freeze_today(datetime.date(2025, 5, 14))
    assert _post(alice_client, user=bob.pk, valid_until="2025-05-14").status_code == 200
    assert _post(alice_client, user=bob.pk, valid_until="2027-05-14").status_code == 200
    response = _post(alice_client, user=bob.pk, valid_until="2027-05-15")
    assert response.status_code == 400
    assert "at most two years" in response.content.decode()
    assert sorted(ApiKey.objects.values_list("valid_until", flat=True)) == [
        datetime.date(2025, 5, 14),
        datetime.date(2027, 5, 14),
    ]


def test_validity_never_ends_in_the_past(alice_client, bob, freeze_today):
    freeze_today(datetime.date(2025, 5, 14))
    response = _post(alice_client, user=bob.pk, valid_until="2025-05-13")
    assert response.status_code == 400
    assert "cannot end in the past" in response.content.decode()
    assert key_count() == 0


def test_on_29_february_one_and_two_years_later_are_28_february(alice_client, bob, freeze_today):
    freeze_today(datetime.date(2024, 2, 29))
    assert alice_client.get(URL).context["form"].fields["valid_until"].initial == datetime.date(2025, 2, 28)
    assert _post(alice_client, user=bob.pk, valid_until="2026-03-01").status_code == 400
    assert _post(alice_client, user=bob.pk, valid_until="28.02.2026").status_code == 200
    assert ApiKey.objects.get().valid_until == datetime.date(2026, 2, 28)


@pytest.mark.parametrize(
    "fields",
    [
        {"valid_until": "not a date"},
        {"valid_until": "31.02.2027"},
        {"valid_until": "99999-01-01"},
        {"valid_until": ""},
        {"note": "x" * 10_000},
        {"note": "nul \x00 byte"},
        {"nonce": "garbage"},
        {"nonce": "x" * 10_000},
        {"nonce": ""},
        {"user": "abc"},
        {"user": "1 OR 1=1"},
        {"user": "99999999999999999999999"},
        {"user": ""},
        {"api": ""},
    ],
)
def test_bad_input_is_a_form_error_never_a_500(alice_client, bob, fields):
    response = _post(alice_client, **{"user": bob.pk, **fields})
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode() or 'class="errors"' in response.content.decode()
    assert key_count() == 0


def test_a_form_issued_to_another_admin_is_refused(alice_client, charlie_client, bob):
    response = _post(alice_client, user=bob.pk, nonce=_nonce(charlie_client))
    assert response.status_code == 400
    assert "was not issued to you" in response.content.decode()
    assert key_count() == 0


def test_a_form_older_than_an_hour_is_refused(alice_client, bob, monkeypatch):
    nonce = _nonce(alice_client)
    monkeypatch.setattr("apikeys.forms.NONCE_MAX_AGE", -1)
    assert _post(alice_client, user=bob.pk, nonce=nonce).status_code == 400
    assert key_count() == 0


def test_a_refused_form_comes_back_with_a_fresh_single_use_value(alice_client, bob):
    nonce = _nonce(alice_client)
    response = _post(alice_client, user=bob.pk, nonce=nonce, valid_until="nonsense")
    fresh = re.search(r'name="nonce" value="([^"]+)"', response.content.decode())[1]
    assert fresh != nonce
    assert _post(alice_client, user=bob.pk, nonce=fresh).status_code == 200


def test_create_without_csrf_token_is_refused(alice, bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    nonce = _nonce(client)
    response = client.post(
        URL, {"user": bob.pk, "api": Api.INTEGRATION, "valid_until": timezone.localdate().isoformat(), "nonce": nonce}
    )
    assert response.status_code == 403
    assert key_count() == 0


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_not_allowed(alice_client, method):
    assert getattr(alice_client, method)(URL).status_code == 405
