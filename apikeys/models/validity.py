"""How long a key may be valid (the guide's rule 4: at most two years), and when it ends.

Stated once here; the forms, the services, the admin and a CHECK constraint of the database ask it.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from efinance.lib.when import day as format_day

MAX_VALIDITY_YEARS = 2


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def latest_valid_until(today: datetime.date | None = None, maximum_days: int | None = None) -> datetime.date:
    """The last day a key created on `today` may be valid: two years later (the guide's rule 4), or
    `maximum_days` later when the contract's security policy sets a shorter maximum (never longer)."""
    today = today or timezone.localdate()
    latest = add_years(today, MAX_VALIDITY_YEARS)
    if maximum_days is not None:
        latest = min(latest, today + datetime.timedelta(days=maximum_days))
    return latest


VALIDITY_MESSAGES = {
    "past": _("The validity cannot end in the past."),
    "too_late": _("A key is valid for at most two years: choose %(latest)s or earlier."),
    "over_policy": _(
        "Your contract's security policy allows keys of at most %(days)d days: choose %(latest)s or earlier."
    ),
}


def check_valid_until(
    valid_until: datetime.date, created_on: datetime.date | None = None, *, maximum_days: int | None = None
) -> None:
    """Raise ValidationError (code ``past``, ``too_late`` or ``over_policy``) unless a key created on
    `created_on` (today by default) may be valid until `valid_until`: not before that day, at most two
    years after, and at most `maximum_days` after when the contract's policy sets that maximum
    (`SecurityPolicy.maximum_days`; `SecurityPolicy.check_valid_until` passes it)."""
    created_on = created_on or timezone.localdate()
    latest = latest_valid_until(created_on, maximum_days)
    if valid_until < created_on:
        raise ValidationError(VALIDITY_MESSAGES["past"], code="past")
    if valid_until > latest:
        params = {"latest": format_day(latest)}
        if latest < add_years(created_on, MAX_VALIDITY_YEARS):
            raise ValidationError(
                VALIDITY_MESSAGES["over_policy"], code="over_policy", params={**params, "days": maximum_days}
            )
        raise ValidationError(VALIDITY_MESSAGES["too_late"], code="too_late", params=params)


class LatestValidUntilInDatabase(models.Func):
    """The database's bound of `valid_until` for a key created at `created_at`: two years and one day
    after the UTC day of creation, in each vendor's own date arithmetic (used by a CHECK constraint).

    The day is one more than the rule (`check_valid_until`, two years after the local day in
    Europe/Zurich) because the local day may be the UTC day after; the database's bound refuses
    what no screen can make (a validity of 2099-12-31), the exact rule stays in `check_valid_until`.
    Deterministic (no time zone setting, no clock), as a CHECK constraint needs.
    """

    arity = 1
    output_field = models.DateField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="date(%(expressions)s, '+2 years', '+1 day')", **extra_context
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="((%(expressions)s AT TIME ZONE 'UTC')::date + INTERVAL '2 years 1 day')::date",
            **extra_context,
        )

    def as_sql(self, compiler, connection, **extra_context):
        if "template" not in extra_context:
            raise NotImplementedError(f"no two-year bound for {connection.vendor}")
        return super().as_sql(compiler, connection, **extra_context)


def days_left(valid_until: datetime.date, today: datetime.date | None = None) -> int:
    """Days of validity left: the last valid day − today (0 on the last day itself)."""
    return (valid_until - (today or timezone.localdate())).days


def days_left_until(stops_at: datetime.datetime, now: datetime.datetime | None = None) -> int:
    """Days a key works on after today, told from the moment it stops working (`stops_at`): the last day
    on which it works, in Europe/Zurich (the day before `stops_at` when that is midnight) − today there.
    0 on its last day. For a key that is not replaced, `days_left(valid_until)` says the same."""
    zone = timezone.get_default_timezone()
    last_day = timezone.localtime(stops_at - datetime.timedelta(microseconds=1), zone).date()
    return (last_day - timezone.localtime(now or timezone.now(), zone).date()).days


EXPIRES_SOON_DAYS = 30  # a valid key that ends within this many days carries «expires soon»


def end_of_validity(valid_until: datetime.date) -> datetime.datetime:
    """The moment a key stops working at the latest: midnight after its last valid day, Europe/Zurich."""
    next_day = valid_until + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(next_day, datetime.time.min), timezone.get_default_timezone())
