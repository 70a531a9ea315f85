"""The days' rows of the usage counted before they existed: each key's hourly rows (`KeyUsage`) added up
per day of the Swiss calendar, operation and outcome into `KeyUsageDay`, one key at a time."""

import zoneinfo

from django.conf import settings
from django.db import migrations
from django.db.models import Sum

BATCH = 5000


def add_up_the_days(apps, schema_editor):
    usage = apps.get_model("apikeys", "KeyUsage")
    usage_day = apps.get_model("apikeys", "KeyUsageDay")
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    hours = (
        usage.objects.values("api_key", "hour", "operation", "outcome")
        .annotate(total=Sum("count"))
        .order_by("api_key", "hour", "operation", "outcome")
        .values_list("api_key", "hour", "operation", "outcome", "total")
    )
    days: dict[tuple, int] = {}
    current = None
    for key, hour, operation, outcome, total in hours.iterator(chunk_size=BATCH):
        if key != current:  # a key's days are complete once the next key's hours come
            _write(usage_day, days)
            days, current = {}, key
        row = (key, hour.astimezone(zone).date(), operation, outcome)
        days[row] = days.get(row, 0) + total
    _write(usage_day, days)


def _write(usage_day, days: dict) -> None:
    rows = [
        usage_day(api_key_id=key, day=day, operation=operation, outcome=outcome, count=count)
        for (key, day, operation, outcome), count in days.items()
    ]
    usage_day.objects.bulk_create(rows, batch_size=BATCH)


def forget_the_days(apps, schema_editor):
    apps.get_model("apikeys", "KeyUsageDay").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("apikeys", "0030_key_usage_per_day"),
    ]

    operations = [migrations.RunPython(add_up_the_days, forget_the_days)]
