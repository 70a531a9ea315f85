"""The check that every page of an Admin user makes («must they set up a second factor first?») reads the
policy from the organization that came with the session's user (one joined query, users.backends): no
query of its own while the policy is off, one (the user's factors) while it is on. It stays as current
as a query: a policy turned on by another Admin user counts from the next request of every session."""

import pytest
from django.test import RequestFactory

from tests.cast import client_for
from tests.factors import enrol
from users.backends import UserBackend
from users.factors.required import EnrolmentDueMiddleware
from users.models import Organization


def page_of(user_pk):
    """A request of the user as the session loads them, through the middleware; the answer."""
    request = RequestFactory().get("/administration/")
    request.user = UserBackend().get_user(user_pk)
    request._messages = type("Messages", (), {"add": lambda *args, **kwargs: None})()
    return request, EnrolmentDueMiddleware(lambda request: "the page")


def test_no_query_while_the_policy_is_off(alice, django_assert_num_queries):
    request, middleware = page_of(alice.pk)
    with django_assert_num_queries(0):
        assert middleware(request) == "the page"


def test_one_query_while_it_is_on_for_a_user_with_a_factor(alice, demo_ag, django_assert_num_queries):
    enrol(alice)
    Organization.objects.filter(pk=demo_ag.pk).update(admins_need_factor=True)
    request, middleware = page_of(alice.pk)
    with django_assert_num_queries(1):
        assert middleware(request) == "the page"


@pytest.mark.parametrize("path", ["/administration/", "/administration/api-keys/"])
def test_a_policy_turned_on_elsewhere_counts_at_the_next_request(alice, demo_ag, path):
    session = client_for(alice)
    assert session.get(path).status_code == 200
    Organization.objects.filter(pk=demo_ag.pk).update(admins_need_factor=True)  # another Admin user's change
    response = session.get(path)
    assert response.status_code == 302 and response["Location"] == "/accounts/security/authenticator/"
