"""«Log out everywhere»: a user ends every session of theirs on their «Security» page, this one too
(a bank's «everywhere» leaves nothing signed in), and the bank's support ends every session of a
customer's user in the support admin (recorded on the organization's «Activity» as the bank's).

The attacker's view: a session cookie stolen or left in a shared browser stops working at its next
request; nobody ends another user's sessions but support, never by a GET or a forged POST."""

from django.test import Client

from audit.models import Action, AuditEvent
from tests.cast import PASSWORD, client_for, make_technical_user, mentions
from tests.factors import stale_proof
from users.models import OutboxMessage

END = "/accounts/security/logout-everywhere/"
CHANGELIST = "/support/users/user/"


def _signed_in(user) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def _works(client) -> bool:
    return client.get("/accounts/security/").status_code == 200


def test_a_user_ends_every_session_of_theirs_this_one_too(bob, alice):
    office, home, colleague = _signed_in(bob), _signed_in(bob), _signed_in(alice)
    response = office.post(END)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert not _works(office) and not _works(home)
    assert _works(colleague)  # alice's sessions are hers
    entry = AuditEvent.objects.get(action=Action.SESSIONS_ENDED)
    assert (entry.actor, entry.subject, entry.organization_id) == (bob, bob, bob.organization_id)
    mail = OutboxMessage.objects.get(kind="sessions_ended")
    assert (mail.recipient, mail.to) == (bob, bob.email)
    assert "at your request" in mail.body
    assert _works(_signed_in(bob))  # the password still works: only the sessions ended


def test_the_security_page_links_to_a_confirmation_and_a_get_ends_nothing(bob):
    client = _signed_in(bob)
    assert 'data-testid="logout-everywhere"' in client.get("/accounts/security/").content.decode()
    page = client.get(END)
    assert page.status_code == 200 and 'data-testid="confirm-logout-everywhere"' in page.content.decode()
    assert client.head(END).status_code == 200
    assert _works(client)
    assert not AuditEvent.objects.filter(action=Action.SESSIONS_ENDED).exists()
    assert not OutboxMessage.objects.filter(kind="sessions_ended").exists()


def test_a_stale_proof_asks_for_the_password_first_and_ends_nothing(bob):
    client, other = _signed_in(bob), _signed_in(bob)
    stale_proof(client)
    page = client.post(END)
    assert page.status_code == 200 and 'data-testid="step-up"' in page.content.decode()
    assert _works(client) and _works(other)
    wrong = client.post(END, {"step_up": "1", "step_up_password": "wrong"})
    assert wrong.status_code == 400 and _works(other)
    right = client.post(END, {"step_up": "1", "step_up_password": PASSWORD})
    assert right.status_code == 302 and not _works(other) and not _works(client)


def test_a_forged_post_without_the_csrf_token_is_refused(bob):
    victim, elsewhere = client_for(bob, enforce_csrf_checks=True), _signed_in(bob)
    assert victim.post(END).status_code == 403
    assert _works(victim) and _works(elsewhere)
    assert not AuditEvent.objects.filter(action=Action.SESSIONS_ENDED).exists()


def test_it_needs_a_login(bob):
    anonymous = Client().post(END)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert not AuditEvent.objects.filter(action=Action.SESSIONS_ENDED).exists()


def test_support_ends_a_customer_users_sessions_on_activity(sam, sam_client, bob, alice):
    browser = _signed_in(bob)
    response = sam_client.post(CHANGELIST, {"action": "log_out_everywhere", "_selected_action": [bob.pk]})
    assert response.status_code == 302
    assert not _works(browser)
    entry = AuditEvent.objects.get(action=Action.SESSIONS_ENDED_BY_SUPPORT)
    assert (entry.actor, entry.subject, entry.organization_id) == (sam, bob, bob.organization_id)
    page = client_for(alice).get("/administration/activity/").content.decode()
    row = page.split('data-action="sessions_end_support"')[1].split("</tr>")[0]
    assert 'data-testid="bank-support"' in row
    assert OutboxMessage.objects.filter(kind="support_change", recipient=alice).exists()
    told = OutboxMessage.objects.get(kind="sessions_ended", recipient=bob)
    assert "bank's support" in told.body and mentions(told.body, "sam")


def test_support_cannot_log_out_staff_and_skips_technical_users(sam_client, tina, demo_ag):
    robot = make_technical_user("ERP Abacus", demo_ag)
    staff_browser = client_for(tina)
    sam_client.post(CHANGELIST, {"action": "log_out_everywhere", "_selected_action": [tina.pk, robot.pk]})
    assert staff_browser.get("/support/").status_code == 200
    assert not AuditEvent.objects.filter(action=Action.SESSIONS_ENDED_BY_SUPPORT).exists()


def test_customers_cannot_use_the_support_action(alice_client, bob, alice):
    """Neither an Admin user nor a standard user ends another user's sessions."""
    browser = _signed_in(bob)
    alice_client.post(CHANGELIST, {"action": "log_out_everywhere", "_selected_action": [bob.pk]})
    client_for(bob).post(CHANGELIST, {"action": "log_out_everywhere", "_selected_action": [alice.pk]})
    assert _works(browser) and _works(alice_client)
    assert not AuditEvent.objects.filter(action=Action.SESSIONS_ENDED_BY_SUPPORT).exists()
    assert not OutboxMessage.objects.filter(kind="sessions_ended").exists()
