"""Settings of e-finance API access, read from the environment (12-factor).

A `.env` file in the checkout (written by `scripts/setup` for local use) is read first when it
exists; real environment variables win over it. `ENV_FILE` names another file, or none when empty.
"""

import datetime
import os
import tempfile
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_env_file = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if _env_file and Path(_env_file).is_file():
    environ.Env.read_env(_env_file, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _required_secret(name: str, purpose: str) -> str:
    """A secret from the environment; only a DEBUG run may fall back to a fixed development value."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return f"insecure-development-{name.lower()}"
    raise ImproperlyConfigured(
        f"{name} is not set. With DEBUG off, set {name} in the environment ({purpose}); "
        f'for example: export {name}="$(python -c "import secrets; print(secrets.token_urlsafe(50))")"'
    )


SECRET_KEY = _required_secret("SECRET_KEY", "Django's signing key for sessions and CSRF")
# The key of the HMAC-SHA-256 that stores API-key secrets; separate from SECRET_KEY so that one
# leaking does not expose the other. Changing it invalidates every API key.
API_KEY_PEPPER = _required_secret("API_KEY_PEPPER", "the key of the API-key secrets' HMAC")
# The key that encrypts the authenticator apps' TOTP keys and keys the recovery codes' HMAC
# (users.factors.crypto); separate from the two above. Changing it makes every enrolled
# authenticator app and every recovery code useless (their users enrol again).
OTP_ENCRYPTION_KEY = _required_secret("OTP_ENCRYPTION_KEY", "the key of the second factors' encryption")
# The bank's Ed25519 key that signs credential reports (efinance.lib.report_key): PEM, or its 32-byte
# seed in base64. Its public half is published at /.well-known/efinance-report-key.pem.
REPORT_SIGNING_KEY = _required_secret("REPORT_SIGNING_KEY", "the Ed25519 key that signs credential reports")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",  # the second factor's devices and one-time codes (users.factors)
    "ninja",  # the Billing Solutions API; listed so that its docs use its own static files, no CDN
    "audit",
    "users",
    "apikeys",
    "billing",
    "csp",
    "axes",
]

MIDDLEWARE = [
    "efinance.lib.head.HeadAsGetMiddleware",  # HEAD answers as GET without a body, on both chains below
    # Then: the paths of LEAN_PATH_PREFIXES take the LEAN_MIDDLEWARE chain below, none of this one.
    "efinance.lib.lean.LeanPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "billing.api.middleware.ApiProblemsMiddleware",  # under /api/: problem documents, never an HTML error page
    "efinance.lib.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "users.middleware.IdleSessionMiddleware",  # every request extends the session, but a 404 or the language switch
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "users.middleware.SessionAwareLoginRequiredMiddleware",  # login by default; says when a session ended
    "django.contrib.messages.middleware.MessageMiddleware",
    "users.factors.staff.SupportNeedsFactorMiddleware",  # /support/ only with a second factor
    "users.factors.required.EnrolmentDueMiddleware",  # a factor first, where one is required
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a lockout flagged by the axes backend into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# The Billing Solutions API and the load balancer's probe (efinance.lib.lean): they authenticate by key
# or not at all, so they run without sessions (never read, written or extended), users, CSRF, messages
# or the login protection. Problem documents, the HTTPS redirect, HSTS and nosniff, the language of
# the problems' texts (Accept-Language), and for the HTML of the API docs the CSP and framing refusal
# stay. A middleware the API needs as well goes in both lists.
LEAN_PATH_PREFIXES = ["/api/", "/healthz"]
LEAN_MIDDLEWARE = [
    "efinance.lib.lean.LeanSecurityMiddleware",  # Django's, its headers worked out once
    "efinance.lib.csp.LeanContentSecurityPolicyMiddleware",  # and X-Frame-Options
    "efinance.lib.lean.AcceptLanguageMiddleware",
    # Last: the problems it makes (a token in the URL, a 404 or 405 turned into a problem) are in the
    # client's language and get the headers above like every other answer.
    "billing.api.middleware.ApiProblemsMiddleware",
]

ROOT_URLCONF = "efinance.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # {% load when %}: every date and time a page or an e-mail shows (efinance.lib.when).
            # {% load counts %}: a count that stops at its cap, «more than 1,000» (efinance.lib.counting).
            "libraries": {"when": "efinance.lib.when", "counts": "efinance.lib.counting"},
        },
    },
]

WSGI_APPLICATION = "efinance.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let several gunicorn workers share the file; IMMEDIATE transactions
    # take the write lock up front instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too, one per test process: in SQLite's shared-cache memory database concurrent
    # requests fail with "database table is locked" instead of waiting for the lock as they do here.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"efinance-test-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_PREPARED_STATEMENTS", default=True
):
    # Server-side binding and prepared statements (psycopg 3): a statement run a second time on a
    # connection is prepared, so PostgreSQL plans the key verification's join once per connection
    # instead of on every request. Off (DATABASE_PREPARED_STATEMENTS=0) behind a pooler in transaction
    # mode (PgBouncer before 1.21, or without max_prepared_statements), which may hand each transaction
    # another server connection that never saw the statement.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 2})
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# No `SELECT 1` before each request's first query: a connection that failed is tested and closed
# at the end of that request (Django does this after any database error), so a worker answers at
# most one 503 after an outage and then reconnects, without a restart (tools.loadtest --db-fault).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
# No state in process memory (several app servers must behave as one): nothing is cached unless
# CACHE_URL names a shared cache, e.g. redis://cache.internal:6379/0.
CACHES = {"default": env.cache_url("CACHE_URL", default="dummycache://")}

AUTH_USER_MODEL = "users.User"
LOGIN_URL = "users:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "users:login"

# Brute-force protection of every login form (ours and the Django admin's) by django-axes. Its
# state lives in the database (AccessAttempt rows), so that every app server sees the same count;
# support staff unlock someone by deleting the attempt in the Django admin (Axes → Access attempts).
AUTHENTICATION_BACKENDS = [
    "users.backends.LoginProtectionBackend",
    "users.backends.UserBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
_lockout_minutes = env.int("LOGIN_LOCKOUT_MINUTES", default=30)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=_lockout_minutes) if _lockout_minutes > 0 else None
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "users.views.lockout"
AXES_CLIENT_IP_CALLABLE = "efinance.lib.net.client_limit_address"  # an IPv6 client by its /64
AXES_USERNAME_CALLABLE = "users.backends.client_username"
# Masked in axes' log lines and in the form data it keeps with each attempt (the password always is).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken", "code", "step_up_password", "passkey"]
AXES_ENABLE_ADMIN = True

# The per-account limit beside axes' per-address one (users.limits): failed logins against one existing
# account, from any address (a wrong password, second factor or step-up proof), are counted. From
# LOGIN_ACCOUNT_SLOWDOWN_AFTER on, one attempt per window is checked, the window doubling from
# LOGIN_ACCOUNT_BACKOFF_SECONDS up to LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS; at LOGIN_ACCOUNT_LOCK_AFTER the
# account locks until the user's e-mailed link (valid LOGIN_ACCOUNT_UNLOCK_LINK_HOURS), an Admin user of
# the organization or support lifts it. A refused attempt answers exactly as a wrong password does.
LOGIN_ACCOUNT_SLOWDOWN_AFTER = env.int("LOGIN_ACCOUNT_SLOWDOWN_AFTER", default=3)
LOGIN_ACCOUNT_BACKOFF_SECONDS = env.int("LOGIN_ACCOUNT_BACKOFF_SECONDS", default=30)
LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS = env.int("LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS", default=15 * 60)
LOGIN_ACCOUNT_LOCK_AFTER = env.int("LOGIN_ACCOUNT_LOCK_AFTER", default=10)
LOGIN_ACCOUNT_UNLOCK_LINK_HOURS = env.int("LOGIN_ACCOUNT_UNLOCK_LINK_HOURS", default=24)

# The second factor (users.factors): how long the login's second step waits after the password, and
# how long a proof (the second factor, or the password of a user without one) counts as fresh for the
# actions that ask for it again (step-up).
SECOND_FACTOR_LOGIN_SECONDS = env.int("SECOND_FACTOR_LOGIN_SECONDS", default=5 * 60)
STEP_UP_SECONDS = env.int("STEP_UP_SECONDS", default=5 * 60)
# How long an operator's one-time link for a staff user's first authenticator app works.
SUPPORT_FACTOR_LINK_HOURS = env.int("SUPPORT_FACTOR_LINK_HOURS", default=24)
# The name an authenticator app shows beside the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="e-finance API access")
# Passkeys (WebAuthn, users.factors.passkeys): the relying party's ID, the domain a passkey is bound to
# (it must be the site's host name or a parent domain of it, never an IP address); by default the first
# host name in ALLOWED_HOSTS («localhost» for a local run). A passkey works only on pages whose origin is
# the request's own (a host of ALLOWED_HOSTS) under this domain. Changing it makes every passkey useless.
PASSKEY_RP_ID = env.str("PASSKEY_RP_ID", default="")
if not PASSKEY_RP_ID:
    _names = [host.lstrip(".") for host in ALLOWED_HOSTS]  # «.bank.ch»: bank.ch and its subdomains
    _names = [name for name in _names if name and not set("*:[") & set(name) and not name.replace(".", "").isdigit()]
    PASSKEY_RP_ID = _names[0] if _names else "localhost"
PASSKEY_RP_NAME = env.str("PASSKEY_RP_NAME", default="e-finance API access")
# How long the browser may take for a passkey: its challenge (kept in the session, used once) lapses then.
PASSKEY_CHALLENGE_SECONDS = env.int("PASSKEY_CHALLENGE_SECONDS", default=5 * 60)
# django-otp's throttling of an authenticator app after wrong codes: 1, 2, 4 ... seconds, on top of
# the login protection above (which counts per username and address; this per device).
OTP_TOTP_THROTTLE_FACTOR = env.int("OTP_TOTP_THROTTLE_FACTOR", default=1)

# How many reverse proxies in front of the app append to X-Forwarded-For; 0 trusts none of it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Sessions end after 15 minutes without a request (every request moves the end, but a 404 and the
# language switch: users.middleware.IdleSessionMiddleware) and on logout.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=15 * 60)
SESSION_SAVE_EVERY_REQUEST = False  # IdleSessionMiddleware marks the session of every other request
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# A set-password link (sent by support: users.services.send_set_password_link) works once and for
# this long: 3 days unless SET_PASSWORD_LINK_DAYS says otherwise.
PASSWORD_RESET_TIMEOUT = env.int("SET_PASSWORD_LINK_DAYS", default=3) * 24 * 3600

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("de", _("German")),
    ("fr", _("French")),
    ("it", _("Italian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Zurich"
# Dates and times in the customers' own form (19.12.2026 17:41) in every language: efinance.lib.formats.
FORMAT_MODULE_PATH = ["efinance.lib.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The Billing Solutions API (billing.api): request bodies over this many bytes are refused with 413
# before they are read.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=64 * 1024)
# Documents one key may deliver per minute (POST documents); more answer 429 with Retry-After.
API_DELIVERIES_PER_MINUTE = env.int("API_DELIVERIES_PER_MINUTE", default=600)
# Failed API authentications per client address and minute; beyond, a 429 problem (counted in the database).
API_AUTH_FAILURES_PER_MINUTE = env.int("API_AUTH_FAILURES_PER_MINUTE", default=30)
# Each API request counted per key, hour, operation and outcome (apikeys.models.usage: the key page's
# usage). Off only to measure what counting costs (tools.bench_auth runs the ping both ways).
API_USAGE_COUNTING = env.bool("API_USAGE_COUNTING", default=True)
# Seconds a process adds its answered requests up before writing them (0: each request writes its count).
API_USAGE_FLUSH_SECONDS = env.float("API_USAGE_FLUSH_SECONDS", default=5.0)

# Prometheus metrics at /metrics (efinance.lib.metrics): off unless enabled, and then only for the
# bearer token or the networks given here (neither: nobody). With several gunicorn workers, set
# PROMETHEUS_MULTIPROC_DIR too (prometheus-client's own variable), emptied before gunicorn starts.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
try:
    import ipaddress as _ipaddress

    for _network in METRICS_ALLOWED_NETWORKS:
        _ipaddress.ip_network(_network)
except ValueError as _error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {_error}") from None
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must have at least 32 characters")

# Reports of exposed tokens (billing.api.credentials, billing.api.secret_scanning): their own body limit
# (1,000 tokens of 80 characters do not fit in API_MAX_BODY_BYTES), the requests one client address may
# send to POST /api/credentials/revoke per minute (counted in the database, shared by every app server),
# and the file of GitHub's secret-scanning public keys (refresh_github_scanning_keys writes it).
CREDENTIALS_MAX_BODY_BYTES = env.int("CREDENTIALS_MAX_BODY_BYTES", default=256 * 1024)
CREDENTIALS_REVOKE_PER_MINUTE = env.int("CREDENTIALS_REVOKE_PER_MINUTE", default=10)
SECRET_SCANNING_GITHUB_KEYS_FILE = env.str(
    "SECRET_SCANNING_GITHUB_KEYS_FILE", default=str(BASE_DIR / "var" / "github-secret-scanning-keys.json")
)

# E-mail (users.mail): an outbox in the database, sent through Django's SMTP backend. EMAIL_URL is
# django-environ's email_url, e.g. smtp://user:pass@host:587 or smtp+tls://user:pass@host:587; with
# DEBUG and no EMAIL_URL, messages are printed on the console.
if env.str("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST, EMAIL_PORT = _email.get("EMAIL_HOST", ""), _email.get("EMAIL_PORT")
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_USER", ""), _email.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS, EMAIL_USE_SSL = _email.get("EMAIL_USE_TLS", False), _email.get("EMAIL_USE_SSL", False)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_HOST, EMAIL_PORT = "localhost", 25
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# How long a runner of the outbox holds a message it claimed: far longer than one send may take
# (each SMTP step waits at most EMAIL_TIMEOUT); a runner that died gives the message back after it.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=600)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="e-finance API access <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address of the site as links in e-mails show it (no request to read it from).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "https://localhost").rstrip("/")

# Production switches (docs/operations/settings.md). Each defaults to the safe value when DEBUG is off; a
# local run over plain HTTP with DEBUG off sets SECURE_COOKIES=0 and SECURE_SSL_REDIRECT=0.
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer's probe may come over plain HTTP
# Behind a TLS-terminating proxy: the header that says the original request was HTTPS, e.g.
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https. Set it only if the proxy always sets it.
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER is a header and its value, e.g. HTTP_X_FORWARDED_PROTO,https")
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) or None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): only this site's own files; no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    },
}
# What a third-party page needs beyond that, for its paths only (efinance.lib.csp): the API docs,
# whose Swagger UI draws its icons as data: URIs. The Django admin needs nothing more (checked in
# Chromium, tests/sweeps/test_security_headers.py); no page gets 'unsafe-inline' or 'unsafe-eval'.
CONTENT_SECURITY_POLICY_PATH_UPDATES = [
    (r"^/api/[\w-]+/v1/docs$", {"img-src": ["data:"]}),
    (r"^/api/credentials/docs$", {"img-src": ["data:"]}),
]

# One line per event on standard error: JSON in production, key=value with DEBUG (LOG_FORMAT).
# Django's own loggers go through the same handler; SQL debug lines lose their values (efinance.lib.logging).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "efinance.lib.logging.JsonFormatter"},
        "keyvalue": {"()": "efinance.lib.logging.KeyValueFormatter"},
    },
    "filters": {
        "redact_sql": {"()": "efinance.lib.logging.RedactSqlFilter"},
        # On every handler: no line ever holds an API token (the one pattern, apikeys.tokens).
        "redact_tokens": {"()": "efinance.lib.logging.RedactFilter", "pattern": "apikeys.tokens.TOKEN_LOG_SEARCH_RE"},
        "no_query_strings": {"()": "efinance.lib.logging.DropQueryStringFilter"},
        "redact_links": {"()": "efinance.lib.logging.RedactLinksFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("LOG_FORMAT", default="keyvalue" if DEBUG else "json"),
            "filters": ["no_query_strings", "redact_links", "redact_tokens"],
        }
    },
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"filters": ["redact_sql"]},
        "django.db.backends.schema": {"filters": ["redact_sql"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
