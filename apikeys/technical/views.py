"""User management → the contract's technical users: create, rename or describe, deactivate.

For the Admin users of the organization (`admin_required`); a user of another organization, or a
person, named in the URL answers 404 (`get_technical_user_for_admin`)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apikeys.access import admin_required, get_technical_user_for_admin
from apikeys.models import ApiKey
from apikeys.technical import services
from apikeys.technical.forms import TechnicalUserForm
from efinance.lib.net import client_ip


@require_http_methods(["GET", "POST"])
@admin_required
def technical_user_create(request):
    organization = request.user.organization
    form = TechnicalUserForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        user = services.technical_user_create(
            organization=organization, **form.cleaned_data, by=request.user, ip=client_ip(request)
        )
        messages.success(
            request,
            _("The technical user %(name)s has been created as %(username)s. It never logs in: create its API keys.")
            % {"name": user.first_name, "username": user.username},
        )
        return _to_row(user)
    return _form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@admin_required
def technical_user_change(request, user_id: int):
    user = get_technical_user_for_admin(request, user_id)
    if not user.is_active:
        return _deactivated(request, user)
    form = TechnicalUserForm(request.POST or None, organization=user.organization, instance=user)
    if request.method == "POST" and form.is_valid():
        previous = user.first_name
        if services.technical_user_change(user=user, **form.cleaned_data, by=request.user, ip=client_ip(request)):
            messages.success(
                request,
                _("The technical user %(previous)s has been saved as %(name)s.")
                % {"previous": previous, "name": user.first_name},
            )
        return _to_row(user)
    return _form_page(request, form, user)


@require_http_methods(["GET", "POST"])
@admin_required
def technical_user_deactivate(request, user_id: int):
    user = get_technical_user_for_admin(request, user_id)
    if not user.is_active:
        return _deactivated(request, user)
    if request.method == "POST":
        deleted = services.technical_user_deactivate(user=user, by=request.user, ip=client_ip(request))
        if deleted is None:
            return _deactivated(request, user)
        messages.success(
            request,
            _("The technical user %(name)s has been deactivated; its valid API keys were deleted: %(keys)s.")
            % {"name": user.first_name, "keys": ", ".join(deleted) or "—"},
        )
        return _to_row(user)
    keys = ApiKey.objects.valid().filter(user=user).order_by("key_id")
    return render(request, "apikeys/technical_user_deactivate.html", {"technical_user": user, "keys": keys})


def _form_page(request, form, user):
    context = {"form": form, "technical_user": user}
    return render(request, "apikeys/technical_user_form.html", context, status=400 if form.is_bound else 200)


def _deactivated(request, user):
    messages.info(request, _("The technical user %(name)s is deactivated.") % {"name": user.first_name})
    return _to_row(user)


def _to_row(user):
    """User management, at the technical user's row."""
    return redirect(f"{reverse('apikeys:user_management')}#user-{user.pk}")
