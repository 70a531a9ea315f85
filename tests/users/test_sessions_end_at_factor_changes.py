"""When a user's second factor is reset (by another Admin user or by support) or removed, or their
password changes, their other sessions end: a session opened by whoever had the lost phone or the
old password does not go on. The session of whoever made the change stays."""

import pytest

from tests.cast import client_for
from tests.factors import enrol
from users.services import set_password_path

SECURITY = "/accounts/security/"


def logged_out(client) -> bool:
    response = client.get(SECURITY)
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.fixture
def dora(demo_ag):
    from tests.cast import make_user

    return make_user("dora", demo_ag, is_org_admin=True)


def test_a_reset_by_another_admin_ends_the_users_sessions(alice, dora):
    enrol(alice)
    enrol(dora)
    phone, laptop, admin = client_for(dora), client_for(dora), client_for(alice)
    assert not logged_out(phone) and not logged_out(laptop)
    assert admin.post(f"/administration/users/{dora.pk}/reset-factor/").status_code == 302
    assert logged_out(phone) and logged_out(laptop)
    assert not logged_out(admin)


def test_a_reset_by_support_ends_the_users_sessions_not_supports(sam, sam_client, bob):
    enrol(bob)
    session = client_for(bob)
    response = sam_client.post("/support/users/user/", {"action": "reset_second_factor", "_selected_action": [bob.pk]})
    assert response.status_code == 302
    assert logged_out(session)
    assert sam_client.get("/support/").status_code == 200


def test_removing_ones_own_factor_ends_the_other_sessions_and_keeps_this_one(bob):
    enrol(bob)
    here, elsewhere = client_for(bob), client_for(bob)
    assert here.post("/accounts/security/authenticator/remove/").status_code == 302
    assert logged_out(elsewhere)
    assert here.get(SECURITY).status_code == 200


def test_a_refused_removal_ends_no_session(alice, demo_ag):
    enrol(alice)
    demo_ag.admins_need_factor = True
    demo_ag.save()
    here, elsewhere = client_for(alice), client_for(alice)
    here.post("/accounts/security/authenticator/remove/")
    assert not logged_out(elsewhere) and not logged_out(here)


def test_a_new_password_ends_the_other_sessions(bob):
    session = client_for(bob)
    browser = client_for(bob)
    browser.logout()  # the link is opened logged out, as from the e-mail
    form = browser.get(set_password_path(bob))
    answer = browser.post(form["Location"], {"new_password1": "a-new-one-2026-x", "new_password2": "a-new-one-2026-x"})
    assert answer.status_code == 302
    assert logged_out(session)


def test_sessions_of_other_users_go_on(alice, dora, bob):
    enrol(dora)
    bystander = client_for(bob)
    client_for(alice).post(f"/administration/users/{dora.pk}/reset-factor/")
    assert not logged_out(bystander)
