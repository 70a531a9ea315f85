"""Every change the bank's support makes to an organization — its name too — is on its «Activity» and
e-mailed to its Admin users at once; another organization sees nothing of it."""

from django.core import mail
from django.urls import reverse

from audit.models import Action, AuditEvent
from users.mail import send_pending
from users.models import Organization

ACTIVITY = "/administration/activity/"


def _rename(client, organization, name):
    response = client.post(reverse("admin:users_organization_change", args=[organization.pk]), {"name": name})
    assert response.status_code == 302


def test_a_rename_is_on_activity_and_mailed_to_the_admins(sam_client, alice, alice_client, demo_ag):
    _rename(sam_client, demo_ag, "Dem0 AG")
    entry = AuditEvent.objects.get(action=Action.ORGANIZATION_CHANGED)
    assert (entry.actor.username, entry.organization, entry.details["previous_name"]) == ("sam", demo_ag, "Demo AG")
    body = alice_client.get(ACTIVITY, {"action": Action.ORGANIZATION_CHANGED}).content.decode()
    assert "«Demo AG» renamed to «Dem0 AG»" in body
    assert "bank support: Sam Tester (sam)" in body
    send_pending()
    [notice] = [message for message in mail.outbox if message.to == [alice.email]]
    assert "renamed the organization «Demo AG» to «Dem0 AG»" in notice.body
    assert "Sam Tester, sam" in notice.body


def test_the_mail_is_in_the_admins_language(sam_client, alice, demo_ag):
    alice.language = "de"
    alice.save(update_fields=["language"])
    _rename(sam_client, demo_ag, "Demo AG (Zürich)")
    send_pending()
    [notice] = mail.outbox
    assert "Support der Bank" in notice.subject


def test_a_save_without_a_change_records_nothing(sam_client, alice, demo_ag):
    _rename(sam_client, demo_ag, "Demo AG")
    assert not AuditEvent.objects.filter(action=Action.ORGANIZATION_CHANGED).exists()


def test_a_new_organization_starts_its_activity_with_its_creation(sam_client):
    assert sam_client.post(reverse("admin:users_organization_add"), {"name": "Neue AG"}).status_code == 302
    entry = AuditEvent.objects.get(action=Action.ORGANIZATION_ADDED)
    assert (entry.organization.name, entry.actor.username) == ("Neue AG", "sam")


def test_another_organization_sees_nothing_of_it(sam_client, charlie, charlie_client, demo_ag, alice):
    _rename(sam_client, demo_ag, "Renamed AG")
    assert "Renamed AG" not in charlie_client.get(ACTIVITY).content.decode()
    send_pending()
    assert not [message for message in mail.outbox if message.to == [charlie.email]]
    assert Organization.objects.get(pk=demo_ag.pk).name == "Renamed AG"
