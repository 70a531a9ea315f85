"""The guide's two years are a rule of the model, which the service asks: no code path makes a key
valid longer, or ending before it was made."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apikeys import services
from apikeys.models import ApiKey, check_valid_until, latest_valid_until


def test_the_service_refuses_a_validity_beyond_two_years(alice, bob):
    with pytest.raises(ValidationError) as refused:
        services.apikey_create(
            user=bob, api="integration", valid_until=latest_valid_until() + datetime.timedelta(days=1), created_by=alice
        )
    assert refused.value.code == "too_late"
    assert not ApiKey.objects.exists()


def test_the_service_refuses_a_validity_that_ended_before_the_key_was_made(alice, bob):
    with pytest.raises(ValidationError) as refused:
        services.apikey_create(
            user=bob, api="integration", valid_until=timezone.localdate() - datetime.timedelta(days=1), created_by=alice
        )
    assert refused.value.code == "past"
    assert not ApiKey.objects.exists()


def test_the_two_years_count_from_the_day_of_creation():
    created_on = datetime.date(2024, 2, 29)
    check_valid_until(datetime.date(2026, 2, 28), created_on)  # the last day allowed
    with pytest.raises(ValidationError):
        check_valid_until(datetime.date(2026, 3, 1), created_on)
