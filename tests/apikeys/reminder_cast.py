"""Contracts whose keys are due a reminder on the same day, for the tests of the reminder run."""

import datetime

from apikeys import services
from apikeys.models import Api, ApiKey
from tests.cast import make_user, today
from users.models import Organization, OutboxMessage

END = 100  # the keys' last valid day, days from today: due their 30-day reminder on day 70


def reminder_day() -> datetime.date:
    """The day the keys of `due_contracts` are due their 30-day reminder (read when asked)."""
    return today() + datetime.timedelta(days=END - 30)


def due_contracts(name: str, organizations: int, keys: int) -> list[ApiKey]:
    """`organizations` organizations, each with an Admin user and a standard user, and `keys` keys over
    them in turn, all ending on day `END`: each organization's first key the standard user's (a reminder
    to them and to the Admin user, who is named in theirs), the others the Admin user's (one reminder
    each). The outbox is emptied of the creation notices."""
    people = []
    for number in range(organizations):
        organization = Organization.objects.create(name=f"{name} {number}")
        admin = make_user(f"{name.lower()}-admin-{number}", organization, is_org_admin=True)
        people.append((admin, make_user(f"{name.lower()}-user-{number}", organization)))
    made = []
    end = today() + datetime.timedelta(days=END)
    for number in range(keys):
        admin, user = people[number % organizations]
        owner = user if number < organizations else admin
        key, _token = services.apikey_create(
            user=owner, api=Api.INTEGRATION, note="", valid_until=end, created_by=admin
        )
        made.append(key)
    OutboxMessage.objects.all().delete()
    return made
