"""A technical user's name is the only label of its keys: a bidirectional control in it («ERP », U+202E,
«sucaba» reads as «ERP abacus») is refused where it is typed (the Admin user's form, the support admin)
and, where one is stored anyway, shown as its visible code on every screen — User management, the key's
page, the creation form, «Activity», the support admin — and in e-mails.

The attacker's view: an Admin user or support would trust a key by a name that is not what it shows;
another organization's Admin user gets 404, a standard user 403."""

from django.urls import reverse

from apikeys.models import ApiKey
from users.mail import send_pending
from users.models import OutboxMessage, User

RLO = "\u202e"
SPOOF = f"ERP {RLO}sucaba"
SHOWN = "ERP [U+202E]sucaba"


def _change_url(user) -> str:
    return reverse("apikeys:technical_user_change", args=[user.pk])


def test_a_name_stored_before_is_shown_neutralised_everywhere(alice_client, sam_client, alice, abacus, make_key):
    User.objects.filter(pk=abacus.pk).update(first_name=SPOOF)  # stored before the forms refused it
    key, _token = make_key(user=User.objects.get(pk=abacus.pk))
    assert User.objects.get(pk=abacus.pk).first_name == SHOWN
    pages = [
        alice_client.get(reverse("apikeys:user_management")),
        alice_client.get(reverse("apikeys:detail", args=[key.key_id])),
        alice_client.get(reverse("apikeys:create")),
        alice_client.get(_change_url(abacus)),
        sam_client.get("/support/users/user/?is_technical__exact=1"),
        sam_client.get(reverse("admin:users_user_change", args=[abacus.pk])),
    ]
    for page in pages:
        body = page.content.decode()
        assert page.status_code == 200 and RLO not in body, page.wsgi_request.path
        assert SHOWN in body, page.wsgi_request.path


def test_the_mails_that_name_it_show_the_visible_code(alice_client, abacus, mailoutbox):
    User.objects.filter(pk=abacus.pk).update(first_name=SPOOF)
    response = alice_client.post(_change_url(abacus), {"name": "ERP Abacus", "description": ""})
    assert response.status_code == 302  # renamed back; the e-mails and «Activity» name the old name
    activity = alice_client.get(reverse("apikeys:activity")).content.decode()
    assert RLO not in activity
    send_pending()
    for message in mailoutbox:
        html = "".join(str(content) for content, _type in message.alternatives)
        assert RLO not in message.subject + message.body + html
    assert not OutboxMessage.objects.filter(body__contains=RLO).exists()


def test_the_admin_users_form_refuses_a_control_in_a_new_name(alice_client, abacus):
    response = alice_client.post(_change_url(abacus), {"name": SPOOF, "description": ""})
    assert response.status_code in (200, 400)
    assert "invisible text-direction characters" in response.content.decode()
    abacus.refresh_from_db()
    assert abacus.first_name == "ERP Abacus"


def test_support_cannot_store_a_control_in_a_name(sam_client, abacus, bob):
    for user in (abacus, bob):
        data = {
            "username": user.username,
            "first_name": f"X {RLO}y",
            "last_name": f"Z {RLO}w",
            "email": user.email,
            "organization": user.organization_id,
            "is_active": "on",
            "date_joined_0": "01.01.2026",
            "date_joined_1": "10:00:00",
        }
        response = sam_client.post(reverse("admin:users_user_change", args=[user.pk]), data)
        assert response.status_code == 200, user  # the form again, with its error
        assert "invisible text-direction characters" in response.content.decode()
        user.refresh_from_db()
        assert RLO not in user.first_name + user.last_name


def test_another_organization_gets_404_and_a_standard_user_403(charlie_client, bob_client, abacus):
    assert charlie_client.post(_change_url(abacus), {"name": "ERP Other", "description": ""}).status_code == 404
    assert bob_client.post(_change_url(abacus), {"name": "ERP Other", "description": ""}).status_code == 403
    abacus.refresh_from_db()
    assert abacus.first_name == "ERP Abacus"
    assert not ApiKey.objects.exists()
