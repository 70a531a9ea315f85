"""Prometheus metrics for the operators: the API's requests and latency, logins and lockouts, the
outbox and the reminder run — at `/metrics` when `METRICS_ENABLED`, for a bearer token
(`METRICS_TOKEN`) or addresses (`METRICS_ALLOWED_NETWORKS`) from the environment; refused otherwise.

With several gunicorn workers every process counts in files of `PROMETHEUS_MULTIPROC_DIR`
(prometheus-client's multiprocess mode; the directory is emptied before gunicorn starts, and
`deploy/gunicorn.conf.py` tells the client when a worker exits); without it (one process: runserver,
the tests) the counts are the process's own.

No label ever holds a key ID, a user or an address: only the API, the operation, the outcome and the
refusal reason, each from a short fixed list (cardinality, and privacy).
"""

import hmac
import ipaddress
import os
from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseNotFound
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from efinance.lib.net import client_ip

# Collectors that read their figures when /metrics is read (the outbox's backlog from the database):
# apps append theirs in `AppConfig.ready()`.
SCRAPE_COLLECTORS: list = []

# The API's latency buckets, in seconds: the authenticated ping takes about a millisecond.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """The metrics of one process, made once (`metrics()`); registered in no registry of their own:
    `/metrics` collects them (or, in multiprocess mode, their files) when it is read."""

    def __init__(self):
        from prometheus_client import Counter, Gauge, Histogram

        self.api_requests = Counter(
            "efinance_api_requests",
            "Requests of the Billing Solutions API by API, operation and outcome (answered: 2xx, refused: "
            "4xx by the API, auth_refused: the key was refused, limited: over a rate limit).",
            ["api", "operation", "outcome"],
            registry=None,
        )
        self.api_auth_refusals = Counter(
            "efinance_api_auth_refusals",
            "API requests whose key was refused, by API and reason (unknown, expired, deleted, ...).",
            ["api", "reason"],
            registry=None,
        )
        self.api_latency = Histogram(
            "efinance_api_request_duration_seconds",
            "Time to answer a request of the Billing Solutions API, by API and operation.",
            ["api", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=None,
        )
        self.logins = Counter(
            "efinance_logins", "Logins by result: success, failed, locked_out.", ["result"], registry=None
        )
        self.reminder_run = Gauge(
            "efinance_reminder_last_run_timestamp_seconds",
            "When the expiry reminders last ran (Unix time).",
            registry=None,
            multiprocess_mode="mostrecent",
        )
        self.reminder_sent = Gauge(
            "efinance_reminder_last_run_messages",
            "How many reminder e-mails the last run queued.",
            registry=None,
            multiprocess_mode="mostrecent",
        )

    def collect(self):
        for metric in vars(self).values():
            yield from metric.collect()


@cache
def _metrics() -> Metrics:
    return Metrics()


def metrics() -> Metrics | None:
    """This process's metrics, or None while `METRICS_ENABLED` is off (then nothing is counted)."""
    return _metrics() if settings.METRICS_ENABLED else None


# The labelled children of the API's metrics by their labels: `labels()` takes a lock and builds its
# key on every call; a dictionary lookup is a fraction of that on the API's path.
_children: dict = {}


def _child(metric, *labels):
    key = (metric._name, *labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


def count_api_request(*, api: str, operation: str, outcome: str, reason: str = "", seconds: float) -> None:
    found = metrics()
    if found is None:
        return
    _child(found.api_requests, api, operation, outcome).inc()
    _child(found.api_latency, api, operation).observe(seconds)
    if reason:
        _child(found.api_auth_refusals, api, reason).inc()


def count_login(result: str) -> None:
    found = metrics()
    if found is not None:
        found.logins.labels(result).inc()


def note_reminder_run(*, at: float, messages: int) -> None:
    found = metrics()
    if found is not None:
        found.reminder_run.set(at)
        found.reminder_sent.set(messages)


def _allowed(request: HttpRequest) -> bool:
    """The bearer token of `METRICS_TOKEN`, or an address in `METRICS_ALLOWED_NETWORKS`; with neither
    configured, nobody."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    address = client_ip(request)
    if address and settings.METRICS_ALLOWED_NETWORKS:
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(network) for network in settings.METRICS_ALLOWED_NETWORKS)
    return False


def exposition() -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_metrics())
    for collector in SCRAPE_COLLECTORS:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


@login_not_required
@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """`GET /metrics`: 404 while metrics are off (nothing tells that they exist), 403 without the
    token or an allowed address."""
    if not settings.METRICS_ENABLED:
        return HttpResponseNotFound()
    if not _allowed(request):
        return HttpResponseForbidden()
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
