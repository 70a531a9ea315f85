"""The bank's support at work in Django's admin: the change form of a user, posted as support would."""

from django.urls import reverse


def user_form(user, **changes) -> dict:
    """The admin's change form of `user` as it stands, with `changes`; a change to None leaves the field
    out (for a checkbox: unticked)."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "organization": user.organization_id or "",
        "date_joined_0": "01.01.2026",
        "date_joined_1": "10:00:00",
    }
    if user.is_active:
        data["is_active"] = "on"
    if user.is_org_admin:
        data["is_org_admin"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def change_user(client, user, **changes) -> None:
    """Post the change form of `user` with `changes` (it must be accepted) and reload `user`."""
    response = client.post(reverse("admin:users_user_change", args=[user.pk]), user_form(user, **changes))
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()


def approve_held(user, *, by, confirm_by=None) -> None:
    """What the bank held of `user` (`users.BankChange`): approved by the second staff user `by` and, when
    it then waits for the organization, confirmed by its Admin user `confirm_by`; `user` reloaded."""
    from users.bank_changes import bank_change_approve, bank_change_confirm
    from users.models import BankChange

    for change in BankChange.objects.filter(user=user, state=BankChange.State.BANK).order_by("pk"):
        change = bank_change_approve(change=change, by=by)
        if change.state == BankChange.State.ORGANIZATION and confirm_by is not None:
            bank_change_confirm(change=change, by=confirm_by)
    user.refresh_from_db()


def add_user(client, organization, username: str, domain: str = "neue.example", **extra):
    """Post the admin's «Add user» form for `organization` as support would (it must be accepted); the
    user as stored (held as a `users.BankChange` until approved)."""
    from users.models import User

    data = {
        "username": username,
        "first_name": username.capitalize(),
        "last_name": "Keller",
        "email": f"{username}@{domain}",
        "organization": organization.pk,
        **extra,
    }
    response = client.post(reverse("admin:users_user_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return User.objects.get(username=username)
