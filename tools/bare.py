"""A trivial view under Django's default middleware: the yardstick of `tools.bench_auth`.

Settings and URLs in one module (DJANGO_SETTINGS_MODULE=tools.bare): `startproject`'s apps and
middleware, and `GET /bare`, which answers a short text and reads nothing from any database.
"""

import os

from django.http import HttpResponse
from django.urls import path

from tools.harness import STARTPROJECT_APPS, STARTPROJECT_MIDDLEWARE

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "") or "bare-benchmark-only-" + os.urandom(16).hex()
ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
INSTALLED_APPS = STARTPROJECT_APPS
MIDDLEWARE = STARTPROJECT_MIDDLEWARE
ROOT_URLCONF = "tools.bare"
# Never opened: the view and the middleware read nothing from it.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.devnull}}
USE_TZ = True
LOGGING = {"version": 1, "root": {"level": "WARNING"}}


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bare", bare)]
