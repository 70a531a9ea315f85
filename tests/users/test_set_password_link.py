"""Support never sets, sees or chooses a customer's password: no password form, no usable password when
they add a user, only a set-password link by e-mail that works once and for PASSWORD_RESET_TIMEOUT."""

import datetime
import logging
import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.support_admin import approve_held
from users.mail import FORGOTTEN, send_pending
from users.models import OutboxMessage, User

NEW_PASSWORD = "a-long-and-unusual-passphrase-2026"
LINK = re.compile(r"https?://[^/\s]+(/accounts/set-password/[^/\s]+/[^/\s]+/)")


def _password_url(user):
    return reverse("admin:auth_user_password_change", args=[user.pk])


def _add_dora(client, organization, approver, **extra):
    """Support adds Dora, and a second staff user (`approver`) approves it: it takes effect (Demo AG has
    no active Admin user in these tests) and her set-password link goes out."""
    data = {
        "username": "dora",
        "first_name": "Dora",
        "last_name": "Keller",
        "email": "dora@demo.example",
        "organization": organization.pk if organization else "",
        **extra,
    }
    response = client.post(reverse("admin:users_user_add"), data)
    dora = User.objects.filter(username="dora").first()
    if dora is not None:
        approve_held(dora, by=approver)
    return response


def _link_of(user) -> str:
    send_pending()
    [message] = [m for m in mail.outbox if m.to == [user.email] and LINK.search(m.body)]
    return LINK.search(message.body)[1]


def _log_in(username, password) -> bool:
    client = Client()
    response = client.post(reverse("users:login"), {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


def _set_password(link, password=NEW_PASSWORD, client=None):
    client = client or Client()
    first = client.get(link)
    if first.status_code != 302:
        return first
    return client.post(first["Location"], {"new_password1": password, "new_password2": password})


def test_a_user_added_by_support_has_no_usable_password_until_the_link_is_used(sam_client, demo_ag, tina):
    response = _add_dora(sam_client, demo_ag, tina, password1="support-knows-it-1", password2="support-knows-it-1")
    assert response.status_code == 302
    dora = User.objects.get(username="dora")
    assert not dora.has_usable_password()
    assert not _log_in("dora", "support-knows-it-1")
    link = _link_of(dora)
    assert _set_password(link)["Location"] == reverse("users:set_password_done")
    assert _log_in("dora", NEW_PASSWORD)


def test_the_link_works_once(sam_client, demo_ag, tina):
    _add_dora(sam_client, demo_ag, tina)
    link = _link_of(User.objects.get(username="dora"))
    assert _set_password(link).status_code == 302
    again = _set_password(link, password="a-second-try-by-someone-else")
    assert again.status_code == 200
    assert 'data-testid="link-invalid"' in again.content.decode()
    assert not _log_in("dora", "a-second-try-by-someone-else")
    assert _log_in("dora", NEW_PASSWORD)


def test_the_link_is_spent_when_the_password_is_set_from_another_browser(sam_client, demo_ag, tina):
    """Two browsers open the link: the second one's form is refused once the first has set the password."""
    _add_dora(sam_client, demo_ag, tina)
    link = _link_of(User.objects.get(username="dora"))
    first, second = Client(), Client()
    form_of_second = second.get(link)["Location"]
    assert _set_password(link, client=first).status_code == 302
    late = second.post(form_of_second, {"new_password1": "second-browser-2026", "new_password2": "second-browser-2026"})
    assert 'data-testid="link-invalid"' in late.content.decode()
    assert not _log_in("dora", "second-browser-2026")


@pytest.mark.parametrize(
    ("age", "works"), [(datetime.timedelta(days=3, minutes=-1), True), (datetime.timedelta(days=3, seconds=1), False)]
)
def test_the_link_expires_after_three_days(sam_client, demo_ag, monkeypatch, age, works, settings, tina):
    assert settings.PASSWORD_RESET_TIMEOUT == 3 * 24 * 3600
    _add_dora(sam_client, demo_ag, tina)
    link = _link_of(User.objects.get(username="dora"))
    later = datetime.datetime.now() + age
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    response = _set_password(link)
    assert (response.status_code == 302) is works
    assert _log_in("dora", NEW_PASSWORD) is works


def test_a_tampered_or_foreign_link_is_refused(sam_client, demo_ag, bob, tina):
    _add_dora(sam_client, demo_ag, tina)
    link = _link_of(User.objects.get(username="dora"))
    uid, token = link.strip("/").split("/")[-2:]
    for forged in (
        link[:-2] + ("a" if link[-2] != "a" else "b") + "/",
        link.replace(f"/{uid}/", "/Mg/").replace(f"/{uid}/", "/MQ/"),
        f"/accounts/set-password/{uid}/set-password/",  # the session holds no token
        f"/accounts/set-password/%00/{token}/",
    ):
        response = Client().get(forged)
        assert response.status_code == 200, forged
        assert 'data-testid="link-invalid"' in response.content.decode()


def test_the_link_of_a_deactivated_user_no_longer_works(sam_client, demo_ag, tina):
    _add_dora(sam_client, demo_ag, tina)
    dora = User.objects.get(username="dora")
    link = _link_of(dora)
    User.objects.filter(pk=dora.pk).update(is_active=False)
    assert 'data-testid="link-invalid"' in Client().get(link).content.decode()


def test_the_password_form_checks_csrf(sam_client, demo_ag, tina):
    _add_dora(sam_client, demo_ag, tina)
    link = _link_of(User.objects.get(username="dora"))
    client = Client(enforce_csrf_checks=True)
    form = client.get(link)["Location"]
    response = client.post(form, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 403
    assert not _log_in("dora", NEW_PASSWORD)


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_the_set_password_page_is_translated(sam_client, demo_ag, language, tina):
    _add_dora(sam_client, demo_ag, tina)
    link = _link_of(User.objects.get(username="dora"))
    client = Client(headers={"accept-language": language})
    page = client.get(client.get(link)["Location"]).content.decode()
    assert f'lang="{language}"' in page
    assert {"de": "Passwort festlegen", "fr": "Définir votre mot de passe", "it": "Impostare la password"}[
        language
    ] in page


def test_support_sends_a_new_link_with_one_action(sam_client, bob, alice):
    changelist = reverse("admin:users_user_changelist")
    response = sam_client.post(changelist, {"action": "send_set_password_link", "_selected_action": [bob.pk]})
    assert response.status_code == 302
    link = _link_of(bob)
    assert _set_password(link).status_code == 302
    assert _log_in("bob", NEW_PASSWORD)
    assert not _log_in("bob", "correct-horse-battery-staple")


def test_the_action_sends_no_link_to_staff_inactive_or_addressless_users(sam_client, sam, bob, admin_user):
    bob.is_active = False
    bob.save()
    carol = User.objects.create_user(username="carol", organization=bob.organization)  # no e-mail address
    changelist = reverse("admin:users_user_changelist")
    selected = [bob.pk, carol.pk, sam.pk, admin_user.pk]
    sam_client.post(changelist, {"action": "send_set_password_link", "_selected_action": selected})
    send_pending()
    assert [m for m in mail.outbox if m.subject.startswith("Set your")] == []


def test_the_link_is_in_the_e_mail_only(sam_client, demo_ag, caplog, tina):
    """Not in any log record (the development server's and gunicorn's access lines:
    tests/users/test_set_password_logs.py), not on a page of the support admin, not in the outbox once sent."""
    caplog.set_level(logging.DEBUG)
    response = _add_dora(sam_client, demo_ag, tina)
    follow = sam_client.get(response["Location"])
    dora = User.objects.get(username="dora")
    link = _link_of(dora)
    token = link.strip("/").split("/")[-1]
    assert token not in follow.content.decode()
    assert token not in str([str(m) for m in follow.context["messages"]])
    message = OutboxMessage.objects.get(kind="set_password_link")
    assert (message.body, message.html) == (FORGOTTEN, "")
    _set_password(link)
    assert token not in caplog.text
    assert all(token not in str(record.__dict__) for record in caplog.records)


def test_the_link_e_mail_is_in_the_users_language(sam_client, bob):
    bob.language = "de"
    bob.save(update_fields=["language"])
    changelist = reverse("admin:users_user_changelist")
    sam_client.post(changelist, {"action": "send_set_password_link", "_selected_action": [bob.pk]})
    send_pending()
    [message] = [m for m in mail.outbox if m.to == [bob.email] and LINK.search(m.body)]
    assert message.subject == "Ihr e-finance Passwort festlegen"
    assert "funktioniert einmal und 3 Tage lang" in message.body
    assert LINK.search(message.alternatives[0][0])
