"""«Activity» pages by position (`audit.pages`): every entry once, in the log's order, from the top to
the bottom and back, also among entries of the same microsecond and with the user filter's two
sources; a position that is not one starts at the top; the queries never depend on the depth."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.log import record
from audit.models import Action, AuditEvent
from audit.pages import Position, log_page
from tests.cast import mentions
from tests.plans import is_read_in_index_order, ordered_plan

URL = "/administration/activity/"


@pytest.fixture
def log(alice, bob):
    """137 entries of Demo AG: alice's logins, entries about bob by alice, and 20 of one microsecond."""
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(days=1)
    same = start + datetime.timedelta(hours=2)
    for i in range(137):
        at = same if 40 <= i < 60 else start + datetime.timedelta(seconds=i)
        subject = bob if i % 3 == 0 else None
        record(action=Action.LOGIN, actor=alice, subject=subject, organization_id=alice.organization_id, at=at)
    return AuditEvent.objects.of_organization(alice.organization_id)


def _walk_down(sources, size):
    seen, before, pages = [], None, 0
    while True:
        page = log_page(sources, before=before, size=size)
        seen += page.entries
        pages += 1
        if page.older is None:
            return seen, pages
        before = page.older


def test_walking_down_shows_every_entry_once_in_order(log):
    expected = list(log.order_by("-at", "-id"))
    seen, pages = _walk_down([log], size=10)
    assert seen == expected
    assert pages == 14


def test_walking_back_up_shows_the_same_pages(log):
    down = []
    before = None
    for _ in range(5):
        page = log_page([log], before=before, size=10)
        down.append(page.entries)
        before = page.older
    after = Position.of(down[-1][0])
    for expected in reversed(down[:-1]):
        page = log_page([log], after=after, size=10)
        assert page.entries == expected
        after = page.newer
    assert after is None  # back at the top: no «Newer»


def test_the_user_filter_merges_who_acted_and_who_was_concerned(log, bob, alice):
    sources = [log.filter(actor=bob), log.filter(subject=bob)]
    expected = list(log.filter(subject=bob).order_by("-at", "-id"))
    assert _walk_down(sources, size=7)[0] == expected
    both = [log.filter(actor=alice), log.filter(subject=bob)]  # each of bob's entries is alice's too
    assert _walk_down(both, size=7)[0] == list(log.order_by("-at", "-id"))


@pytest.mark.parametrize(
    "text", ["", "abc", "1.", ".1", "-1.1", "1.1.1", "1" * 18 + ".1", "1.1\x00", "1.99999999999999999999"]
)
def test_anything_but_a_position_starts_at_the_top(text):
    assert Position.parse(text) is None


def test_a_position_reads_back_as_itself():
    at = datetime.datetime(2026, 12, 7, 18, 30, 1, 123456, tzinfo=datetime.UTC)
    assert Position.parse(str(Position(at, 42))) == Position(at, 42)


def test_a_deep_page_costs_the_queries_of_the_first(log, alice_client):
    alice_client.get(URL)  # warm the session
    with CaptureQueriesContext(connection) as first:
        top = alice_client.get(URL)
    deep = Position.of(log.order_by("at", "id")[5])
    with CaptureQueriesContext(connection) as bottom:
        assert alice_client.get(URL, {"before": str(deep)}).status_code == 200
    assert len(first) == len(bottom)
    assert all("OFFSET" not in query["sql"].upper() and "COUNT(" not in query["sql"].upper() for query in first)
    assert top.context["page"].newer is None and top.context["page"].older is not None


def test_another_organizations_position_shows_nothing_of_it(log, charlie_client):
    deep = Position.of(log.order_by("-at", "-id")[3])
    body = charlie_client.get(URL, {"before": str(deep)}).content.decode()
    assert not mentions(body, "alice") and not mentions(body, "bob")


@pytest.mark.parametrize("narrowed", ["all", "action", "key", "actor", "subject"])
def test_each_filter_reads_an_index_in_the_logs_order(log, alice, bob, narrowed):
    entries = log
    if narrowed == "action":
        entries = log.filter(action=Action.LOGIN)
    elif narrowed == "key":
        entries = log.filter(key_id="abcdefghjkmn")
    elif narrowed in ("actor", "subject"):
        entries = log.filter(**{narrowed: bob})
    deep = Position.of(log.order_by("at", "id")[5])
    plan = ordered_plan(entries.filter(deep.older_q()).order_by("-at", "-id")[:51])
    assert "audit_org_" in plan, plan
    assert is_read_in_index_order(plan), plan
    # The position bounds the index's range (a deep page starts there instead of reading down to it).
    assert "AND at<?)" in plan or "AND (at <= '" in plan, plan


def test_the_user_filter_reads_positions_then_the_page_once_at_any_size(log, alice, bob, alice_client):
    """By user: one query per side that reads (time, ID) only, then the page's entries with their users
    in one query; as many at 137 entries as at 400, and the page as the merge of the sides says."""
    alice_client.get(URL)  # warm the session

    def by_bob():
        with CaptureQueriesContext(connection) as queries:
            response = alice_client.get(URL, {"user": bob.pk})
        return response, [query["sql"] for query in queries]

    response, few = by_bob()
    expected = list(log.filter(subject=bob).order_by("-at", "-id")[:50])
    assert response.context["page"].entries == expected
    log_reads = [sql for sql in few if "audit_auditevent" in sql]
    assert len(log_reads) == 3
    assert all(sql.startswith('SELECT "audit_auditevent"."at"') for sql in log_reads[:2])
    assert '"users_user"' in log_reads[2] and " IN (" in log_reads[2]  # the page and its users, by ID
    for _ in range(263):
        record(action=Action.LOGIN, actor=bob, organization_id=alice.organization_id)
    assert len(by_bob()[1]) == len(few)


def test_the_action_label_is_djangos(alice):
    """`get_action_display` answers what Django's own would, for every action and in every language."""
    from django.utils import translation

    field = AuditEvent._meta.get_field("action")
    for language in ("en", "de", "fr", "it"):
        with translation.override(language):
            for value in [*Action.values, "no_such_action"]:
                entry = AuditEvent(action=value)
                assert entry.get_action_display() == entry._get_FIELD_display(field)
