"""User identifications and names that can be mistaken for another of the same organization (UTS #39
skeletons), or that mix scripts, are refused with a clear message: in the support admin, and for the
technical users of the customer's User management."""

import pytest
from django.urls import reverse
from django.utils import translation

from tests.support_admin import user_form
from users.confusables import confusable, mixed_scripts, prototypes, skeleton
from users.models import User

CYRILLIC_E = "\u0435"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (f"d{CYRILLIC_E}mo-admin2", "demo-admin2"),  # the red team's: a Cyrillic «е»
        ("DEMO-ADMIN2", f"d{CYRILLIC_E}mo-admin2"),  # whatever the case
        ("rnallory", "mallory"),  # «rn» for «m»
        ("a1ice", "alice"),  # «1» for «l»
        ("ａｌｉｃｅ", "alice"),  # fullwidth
        ("Ali\u0441e Tester", "Alice Tester"),  # a Cyrillic «с» in a name
    ],
)
def test_look_alikes_share_a_skeleton(first, second):
    assert confusable(first, second)


@pytest.mark.parametrize(("first", "second"), [("alice", "bob"), ("Müller", "Muller"), ("anna", "anne")])
def test_different_names_do_not(first, second):
    assert not confusable(first, second)


def test_the_table_is_unicodes_and_its_skeleton_is_idempotent():
    table = prototypes()
    assert len(table) == 6311  # the data lines of confusables.txt 13.0.0
    assert table[CYRILLIC_E] == "e"
    assert all(skeleton(skeleton(text)) == skeleton(text) for text in ("dеmo", "ｍａｌｌｏｒｙ", "Ꭺlice"))


def test_mixed_scripts():
    assert mixed_scripts(f"d{CYRILLIC_E}mo-admin2") == {"LATIN", "CYRILLIC"}
    assert mixed_scripts("Zoë Müller-Lüdenscheidt 2") == set()
    assert mixed_scripts("山田たろう") == set()  # Han with Hiragana: one writing
    assert mixed_scripts("Игорь Петров") == set()


def _add(client, username, first_name="Dora", last_name="Keller", organization=None):
    data = {
        "username": username,
        "first_name": first_name,
        "last_name": last_name,
        "email": "dora@demo.example",
        "organization": organization.pk,
    }
    return client.post(reverse("admin:users_user_add"), data)


def test_support_cannot_add_the_red_teams_look_alike(sam_client, alice, demo_ag):
    response = _add(sam_client, f"{CYRILLIC_E}lice-admin", organization=demo_ag)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["username"]
    assert "mixes letters of different scripts (Cyrillic, Latin)" in errors[0]
    response = _add(sam_client, "a1ice", organization=demo_ag)
    [error] = response.context["adminform"].form.errors["username"]
    assert error == (
        "This user identification can be mistaken for «alice» of the same organization: choose one that looks "
        "different."
    )
    assert not User.objects.filter(username__in=[f"{CYRILLIC_E}lice-admin", "a1ice"]).exists()


def test_support_cannot_give_a_new_user_the_name_of_an_admin(sam_client, alice, demo_ag):
    response = _add(sam_client, "dora", first_name="AIice", last_name="Tester", organization=demo_ag)  # «I» for «l»
    [error] = response.context["adminform"].form.errors["last_name"]
    assert "can be mistaken for «Alice Tester» (alice)" in error
    assert not User.objects.filter(username="dora").exists()


def test_the_same_name_in_another_organization_is_fine(sam_client, charlie, demo_ag):
    response = _add(sam_client, "charlie2", first_name="Charlie", last_name="Tester", organization=demo_ag)
    assert response.status_code == 302


def test_support_cannot_rename_bob_into_alice(sam_client, alice, bob):
    url = reverse("admin:users_user_change", args=[bob.pk])
    response = sam_client.post(url, user_form(bob, username="alíce"))  # «í»: not confusable, passes
    assert response.status_code == 302
    bob.refresh_from_db()
    response = sam_client.post(url, user_form(bob, username="ALICE"))
    assert response.status_code == 200
    assert "can be mistaken for «alice»" in response.context["adminform"].form.errors["username"][0]


def test_the_message_is_translated(sam_client, alice, demo_ag):
    sam_client.post(reverse("set_language"), {"language": "de"})
    response = _add(sam_client, "a1ice", organization=demo_ag)
    with translation.override("de"):
        [error] = response.context["adminform"].form.errors["username"]
    assert "verwechselt" in error


def test_a_technical_user_cannot_be_named_like_a_person(alice_client, alice):
    url = reverse("apikeys:technical_user_create")
    response = alice_client.post(url, {"name": "AIice Tester", "description": ""})
    assert response.status_code == 400  # the form again, with its error
    assert "can be mistaken for «Alice Tester» (alice)" in response.content.decode()
    response = alice_client.post(url, {"name": f"ERP Abacus {CYRILLIC_E}", "description": ""})
    assert "mixes letters of different scripts" in response.content.decode()
    assert not User.objects.technical().exists()
