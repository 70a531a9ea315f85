"""Every date and time that a page, an e-mail or the support admin shows, in one form.

A moment is shown in Swiss time (`TIME_ZONE`, Europe/Zurich, whatever zone the request or the
database runs in) in the reader's language's short form (`efinance.lib.formats`: 19.12.2026 17:41);
a day as 19.12.2026. The zone is never repeated next to each time: a page or an e-mail names it once
(`zone_note`, in the page's footer and in every e-mail's). Templates load these as
``{% load when %}``: ``{{ at|moment }}``, ``{{ at|moment:"seconds" }}``, ``{{ at|moment_near }}``
(«today 17:41»), ``{{ valid_until|day }}`` and ``{% zone_note %}``; text built in Python calls the
functions of the same names.
"""

import datetime

from django import template
from django.utils import dateformat, formats, timezone
from django.utils.translation import gettext

register = template.Library()


def _swiss(value: datetime.datetime) -> datetime.datetime:
    """`value` in Swiss time; a naive value is taken as Swiss time already."""
    if timezone.is_naive(value):
        return value
    return timezone.localtime(value, timezone.get_default_timezone())


@register.filter
def moment(value: datetime.datetime | None, precision: str = "") -> str:
    """«19.12.2026 17:41» in Swiss time; with ``"seconds"`` «19.12.2026 17:41:05». "" for None."""
    if value is None or value == "":
        return ""
    local = _swiss(value)
    if precision == "seconds":
        return f"{formats.date_format(local, 'SHORT_DATE_FORMAT')} {dateformat.format(local, 'H:i:s')}"
    return formats.date_format(local, "SHORT_DATETIME_FORMAT")


@register.filter
def moment_near(value: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """«today 17:41», «yesterday 09:12», else as `moment`: for when something last happened."""
    if value is None or value == "":
        return ""
    local = _swiss(value)
    today = _swiss(now or timezone.now()).date()
    time = formats.time_format(local, "TIME_FORMAT")
    if local.date() == today:
        return gettext("today %(time)s") % {"time": time}
    if local.date() == today - datetime.timedelta(days=1):
        return gettext("yesterday %(time)s") % {"time": time}
    return moment(value)


@register.filter
def day(value: datetime.date | datetime.datetime | None) -> str:
    """«19.12.2026»: a date as it is, a moment by its day in Swiss time. "" for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = _swiss(value).date()
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def start_of_day(value: datetime.date) -> datetime.datetime:
    """Midnight at the start of the day `value` in Swiss time: where a range of days begins."""
    return timezone.make_aware(datetime.datetime.combine(value, datetime.time.min), timezone.get_default_timezone())


@register.simple_tag
def zone_note() -> str:
    """The one sentence that names the zone of every time on a page or in an e-mail."""
    return gettext("All times are Swiss time (%(zone)s).") % {"zone": timezone.get_default_timezone_name()}
