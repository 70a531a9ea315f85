"""Settings of the peer project (`tools.peer`): DRF + djangorestframework-api-key, Django's defaults."""

import os

import environ

from tools.harness import STARTPROJECT_APPS, STARTPROJECT_MIDDLEWARE

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "") or "peer-benchmark-only-" + os.urandom(16).hex()
ALLOWED_HOSTS = ["127.0.0.1", "testserver"]

INSTALLED_APPS = [*STARTPROJECT_APPS, "rest_framework", "rest_framework_api_key"]

# Django's default middleware, as `django-admin startproject` writes it.
MIDDLEWARE = STARTPROJECT_MIDDLEWARE

ROOT_URLCONF = "tools.peer.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {"default": environ.Env().db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES["default"]["CONN_MAX_AGE"] = 60

# The API: JSON only, no session or basic authentication; the key is the permission.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework_api_key.permissions.HasAPIKey"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "root": {"level": "WARNING"}}
