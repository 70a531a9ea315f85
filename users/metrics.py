"""The outbox as the operators' metrics see it (`efinance.lib.metrics`): read when /metrics is read."""

from django.db.models import Count, Min
from django.utils import timezone

from users.models import OutboxMessage


class OutboxCollector:
    """The messages waiting to be sent, and the age of the oldest: a stuck outbox shows here first."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        waiting = OutboxMessage.objects.filter(sent_at__isnull=True).aggregate(
            count=Count("pk"), oldest=Min("created_at")
        )
        age = (timezone.now() - waiting["oldest"]).total_seconds() if waiting["oldest"] else 0.0
        yield GaugeMetricFamily("efinance_outbox_backlog", "E-mails waiting in the outbox.", value=waiting["count"])
        yield GaugeMetricFamily(
            "efinance_outbox_oldest_age_seconds", "Age of the oldest e-mail waiting in the outbox.", value=age
        )
