from axes.helpers import get_client_username
from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def home(request):
    return render(request, "users/home.html")


def lockout(request, original_response=None, credentials=None):
    """The page django-axes shows instead of the login once a username and address are locked out."""
    cool_off = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "username": get_client_username(request, credentials) or "",
        "minutes": max(1, round(cool_off.total_seconds() / 60)) if cool_off else None,
    }
    return render(request, "registration/lockout.html", context, status=429)
