"""«Security» → passkeys: set one up under a name (several allowed), the first factor brings the 10
recovery codes, only the public key is stored; remove one after a fresh proof, never the last factor
of a user who must have one; e-mails and «Activity». From the attacker's side: another user's passkey,
a forged or replayed registration, support reading the material, a staff user without the link."""

import pytest
from django.test import Client

from audit.models import Action, AuditEvent
from tests.cast import client_for
from tests.factors import enrol, stale_proof
from tests.passkeys import SoftAuthenticator, add_passkey, options_in
from users.factors.models import Passkey, RecoveryCode
from users.models import OutboxMessage

ADD = "/accounts/security/passkeys/new/"
SECURITY = "/accounts/security/"


def remove_url(passkey) -> str:
    return f"/accounts/security/passkeys/{passkey.pk}/remove/"


def set_up(client, name="Laptop", authenticator=None, **tamper):
    authenticator = authenticator or SoftAuthenticator()
    answer = authenticator.register(options_in(client.get(ADD)), **tamper)
    return client.post(ADD, {"name": name, "passkey": answer}), authenticator


def test_the_first_passkey_brings_the_recovery_codes_once(bob, bob_client):
    response, authenticator = set_up(bob_client)
    page = response.content.decode()
    assert response.status_code == 200 and page.count("<code>") == 10 and "Your passkey «Laptop» is set up" in page
    passkey = Passkey.objects.get(user=bob)
    assert (passkey.name, passkey.credential_id, passkey.sign_count) == ("Laptop", authenticator.id, 0)
    assert RecoveryCode.objects.filter(user=bob).count() == 10
    second, _ = set_up(bob_client, name="Security key")
    assert second.status_code == 302 and RecoveryCode.objects.filter(user=bob).count() == 10  # the same codes
    listed = bob_client.get(SECURITY).content.decode()
    assert listed.count('data-testid="passkey"') == 2 and "Security key" in listed


def test_only_the_public_key_is_stored(bob, bob_client):
    _, authenticator = set_up(bob_client)
    stored = bytes(Passkey.objects.get(user=bob).public_key)
    private = authenticator.key.private_numbers().private_value.to_bytes(32, "big")
    x = authenticator.key.public_key().public_numbers().x.to_bytes(32, "big")
    assert x in stored and private not in stored


def test_the_set_up_is_recorded_and_mailed_without_material(bob, bob_client):
    set_up(bob_client)
    entry = AuditEvent.objects.get(action=Action.FACTOR_ADDED, subject=bob)
    assert entry.details["kind"] == "passkey" and entry.details["name"] == "Laptop"
    mail = OutboxMessage.objects.get(kind="factor_added", recipient=bob)
    assert "The passkey «Laptop» was set up" in mail.body and "the login offers it" in mail.body
    stored = Passkey.objects.get(user=bob)
    assert stored.credential_id not in mail.body + mail.html


def test_a_name_is_required_and_nothing_is_stored_without_one(bob, bob_client):
    response, _ = set_up(bob_client, name="")
    assert response.status_code == 400 and "Enter a name for the passkey." in response.content.decode()
    assert not Passkey.objects.exists()


def test_without_javascript_the_page_says_what_to_do(bob, bob_client):
    bob_client.get(ADD)
    response = bob_client.post(ADD, {"name": "Laptop", "passkey": ""})
    assert response.status_code == 400 and "Passkeys need JavaScript" in response.content.decode()
    assert "<noscript>" in bob_client.get(ADD).content.decode()


@pytest.mark.parametrize(
    "tamper",
    [{"origin": "https://phish.example"}],
    ids=["another origin"],
)
def test_a_registration_for_another_site_is_refused(bob, bob_client, tamper):
    response, _ = set_up(bob_client, **tamper)
    assert response.status_code == 400 and "could not be set up" in response.content.decode()
    assert not Passkey.objects.exists()


def test_a_registration_for_another_relying_party_is_refused(bob, bob_client):
    response, _ = set_up(bob_client, authenticator=SoftAuthenticator(rp_id="phish.example"))
    assert response.status_code == 400 and not Passkey.objects.exists()


def test_a_replayed_registration_is_refused(bob, bob_client):
    authenticator = SoftAuthenticator()
    answer = authenticator.register(options_in(bob_client.get(ADD)))
    assert bob_client.post(ADD, {"name": "Laptop", "passkey": answer}).status_code == 200
    bob_client.get(ADD)  # a new challenge: the old answer signs the old one
    assert bob_client.post(ADD, {"name": "Again", "passkey": answer}).status_code == 400
    assert Passkey.objects.count() == 1


def test_another_users_credential_id_cannot_be_registered_again(alice, bob, bob_client):
    victim = add_passkey(alice)
    forged = SoftAuthenticator()
    forged.credential_id = victim.credential_id
    response, _ = set_up(bob_client, authenticator=forged)
    assert response.status_code == 400 and "set up already" in response.content.decode()
    assert Passkey.objects.get().user == alice


def test_removing_a_passkey_needs_a_fresh_proof(bob):
    add_passkey(bob)
    enrol(bob)
    client = client_for(bob)
    stale_proof(client)
    passkey = Passkey.objects.get(user=bob)
    response = client.post(remove_url(passkey))
    assert response.status_code == 200 and 'data-testid="step-up"' in response.content.decode()
    assert Passkey.objects.filter(pk=passkey.pk).exists()


def test_removing_a_passkey(bob, bob_client):
    add_passkey(bob, "Laptop")
    add_passkey(bob, "Phone")
    laptop = Passkey.objects.get(name="Laptop")
    assert bob_client.post(remove_url(laptop)).status_code == 302
    assert list(Passkey.objects.values_list("name", flat=True)) == ["Phone"]
    assert AuditEvent.objects.get(action=Action.FACTOR_REMOVED).details == {"kind": "passkey", "name": "Laptop"}
    removed = OutboxMessage.objects.get(kind="factor_removed", recipient=bob).body
    assert "The passkey «Laptop»" in removed and "Your other second factors still work." in removed
    assert RecoveryCode.objects.filter(user=bob).count() == 10  # a factor is left
    phone = Passkey.objects.get(name="Phone")
    bob_client.post(remove_url(phone))
    assert not RecoveryCode.objects.filter(user=bob).exists()  # the codes go with the last factor
    last = OutboxMessage.objects.filter(kind="factor_removed", recipient=bob).order_by("pk").last().body
    assert "The login asks only for your password now." in last


def test_the_last_factor_of_an_admin_under_the_policy_stays(alice, alice_client, demo_ag):
    add_passkey(alice)
    demo_ag.admins_need_factor = True
    demo_ag.save()
    page = alice_client.get(SECURITY).content.decode()
    assert 'data-testid="passkey-remove"' not in page and 'data-testid="passkey-required"' in page
    response = alice_client.post(remove_url(Passkey.objects.get(user=alice)), follow=True)
    assert "This passkey stays" in response.content.decode()
    assert Passkey.objects.filter(user=alice).exists()
    add_passkey(alice, "Spare")  # with a second factor, one of them may go
    assert alice_client.post(remove_url(Passkey.objects.get(name="Laptop"))).status_code == 302
    assert list(Passkey.objects.values_list("name", flat=True)) == ["Spare"]


def test_an_authenticator_app_may_go_when_a_passkey_is_left(alice, alice_client, demo_ag):
    enrol(alice)
    add_passkey(alice)
    demo_ag.admins_need_factor = True
    demo_ag.save()
    alice_client.post("/accounts/security/authenticator/remove/")
    assert not alice.totpdevice_set.exists() and Passkey.objects.filter(user=alice).exists()


def test_another_users_passkey_cannot_be_removed(alice, bob_client):
    add_passkey(alice)
    assert bob_client.post(remove_url(Passkey.objects.get(user=alice))).status_code == 404
    assert Passkey.objects.filter(user=alice).exists()


def test_removing_takes_a_post_with_a_csrf_token(bob, bob_client):
    add_passkey(bob)
    passkey = Passkey.objects.get(user=bob)
    assert bob_client.get(remove_url(passkey)).status_code == 405
    assert client_for(bob, enforce_csrf_checks=True).post(remove_url(passkey)).status_code == 403
    assert Client().post(remove_url(passkey)).status_code == 302  # to the login
    assert Passkey.objects.filter(pk=passkey.pk).exists()


def test_support_sees_the_name_and_dates_never_the_key(alice, sam, sam_client):
    add_passkey(alice, "Alice's laptop")
    stored = Passkey.objects.get(user=alice)
    page = sam_client.get(f"/support/users/user/{alice.pk}/change/").content.decode()
    assert "Passkey «Alice&#x27;s laptop» since" in page and "last used —" in page
    assert stored.credential_id not in page and "public_key" not in page


def test_a_staff_user_sets_up_a_first_passkey_only_with_the_operators_link(db):
    from tests.cast import make_user
    from users.factors.staff import link_for

    staff = make_user("stan", None, is_staff=True)
    client = client_for(staff)
    assert client.get(ADD).status_code == 403
    link = link_for(staff).split("?", 1)[1]
    assert client.get(f"{ADD}?{link}").status_code == 302  # the token moves into the session
    response, _ = set_up(client)
    assert response.status_code == 200 and Passkey.objects.filter(user=staff).exists()
