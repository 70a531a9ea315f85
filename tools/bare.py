"""A trivial view under Django's default middleware: the yardstick of `tools.bench_auth`.

Settings and URLs in one module (DJANGO_SETTINGS_MODULE=tools.bare): `startproject`'s apps and
middleware, and `GET /bare`, which answers a short text and reads nothing from any database.
"""

import os

from django.http import HttpResponse
from django.urls import path

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "") or "bare-benchmark-only-" + os.urandom(16).hex()
ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "tools.bare"
# Never opened: the view and the middleware read nothing from it.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.devnull}}
USE_TZ = True
LOGGING = {"version": 1, "root": {"level": "WARNING"}}


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bare", bare)]
