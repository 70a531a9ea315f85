"""The networks each key was used from: what «first use from a new network» asks.

A network is an IPv4 /24 or an IPv6 /48 (`apikeys.networks.seen_network`). `SeenNetwork` holds one row
per key and network with the time of its last use; a network whose row is missing, or older than
`SEEN_NETWORK_DAYS` days, is new to the key. The usual request writes nothing here: the key's row
carries its last use (time and address, `ApiKey.record_use`), and only a request from another
network than that one upserts (`apikeys.sql.SEEN_NETWORK_UPSERT`), which also refreshes the network
of the last use (in use until then, never written while the key stayed in it). Rows older than
`SEEN_NETWORK_DAYS` days are pruned daily (`manage.py prune_key_usage`).
"""

import datetime
import secrets

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys import sql
from apikeys.networks import seen_network

SEEN_NETWORK_DAYS = 90
SEEN_NETWORK_KEPT = datetime.timedelta(days=SEEN_NETWORK_DAYS)


def network_to_check(verification, ip: str | None, now: datetime.datetime) -> str | None:
    """The network of a request that a verified key may never have been used from (or not for
    `SEEN_NETWORK_DAYS` days); None for the usual request, which then costs no query: a key with
    allowed networks (never reported), no valid address, or the network of the key's last use, when
    that use was recent."""
    if not verification.any_address:
        return None
    network = seen_network(ip)
    if network is None:
        return None
    last_at = verification.last_used_at
    if (
        last_at is not None
        and last_at >= now - SEEN_NETWORK_KEPT
        and seen_network(verification.last_used_ip) == network
    ):
        return None
    return network


class SeenNetworkManager(models.Manager):
    def note(self, verification, network: str, now: datetime.datetime) -> bool:
        """Note that the verified key was used from `network` now (and from the network of its last use
        until then); answer whether this call is the one that found `network` new to the key."""
        run = secrets.token_hex(16)
        rows = [(network, now, run)]
        previous = seen_network(verification.last_used_ip)
        if previous is not None and previous != network and verification.last_used_at is not None:
            rows.append((previous, verification.last_used_at, secrets.token_hex(16)))
        rows.sort()
        adapt = connection.ops.adapt_datetimefield_value
        params = []
        for row_network, at, row_run in rows:
            params += [verification.pk, row_network, adapt(at), adapt(at), row_run]
        cutoff = adapt(now - SEEN_NETWORK_KEPT)
        params += [cutoff, cutoff]
        answered = sql.SEEN_NETWORK_UPSERT[len(rows)].fetchall(params)
        return any(row["network"] == network and row["run"] == run for row in answered)

    def prune(self, now: datetime.datetime | None = None) -> int:
        """Delete the networks not used for `SEEN_NETWORK_DAYS` days (new again to their key)."""
        deleted, _per_model = self.filter(last_seen__lt=(now or timezone.now()) - SEEN_NETWORK_KEPT).delete()
        return deleted


class SeenNetwork(models.Model):
    """A network (IPv4 /24, IPv6 /48) a key was used from: since when (without a gap of
    `SEEN_NETWORK_DAYS` days) and when last. `run` names the request that began that stretch of use:
    the one request that reports the network, however many saw it new at once."""

    api_key = models.ForeignKey("apikeys.ApiKey", on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=43)
    since = models.DateTimeField()
    last_seen = models.DateTimeField()
    run = models.CharField(max_length=32)

    objects = SeenNetworkManager()

    class Meta:
        verbose_name = _("network used by a key")
        verbose_name_plural = _("networks used by keys")
        indexes = [models.Index(fields=["last_seen"], name="seen_network_last_seen")]
        constraints = [models.UniqueConstraint(fields=["api_key", "network"], name="seen_network_one_row")]

    def __str__(self) -> str:
        return f"{self.api_key_id} {self.network} {self.last_seen:%Y-%m-%d %H:%M}"
