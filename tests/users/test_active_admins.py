"""«The Admin users of an organization» are stated once (`users.models.active_admin_q`): active, with
the Admin flag, of that organization — every list of them asks it."""

from apikeys import notices
from users.models import User
from users.templatetags.organization import organization_admins


def test_only_active_admins_of_the_organization_count(alice, bob, charlie):
    gone = User.objects.create(username="gone-admin", organization=alice.organization, is_org_admin=True)
    gone.is_active = False
    gone.save()
    expected = [alice]
    assert list(User.objects.active_admins(alice.organization_id)) == expected
    assert list(alice.organization.active_admins()) == expected
    assert notices.admins_of(alice.organization_id) == expected
    assert organization_admins({}, bob) == expected
    assert charlie in User.objects.active_admins() and bob not in User.objects.active_admins()
