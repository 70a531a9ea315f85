"""«Activity»: a range of days in Swiss time (from, to), the presets «Today», «Last 7 days», «Last 30
days», actions in groups; each filter read in an index's order, paged by position; a bad date is told
in the reader's language, never a 500."""

import datetime
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from apikeys.forms import ActivityFilterForm
from audit.log import record
from audit.models import ACTION_GROUPS, BANK_ACTIONS, Action, AuditEvent
from tests.cast import client_for
from tests.plans import is_read_in_index_order, ordered_plan

URL = "/administration/activity/"
ZURICH = zoneinfo.ZoneInfo("Europe/Zurich")


def _at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=ZURICH)


@pytest.fixture
def midnight(alice, bob):
    """A login at 23:59:59 on the 7th and a key entry at 00:00:00 on the 8th, Swiss time (22:59 and 23:00 UTC)."""
    org = alice.organization_id
    late = record(action=Action.LOGIN, actor=alice, organization_id=org, at=_at("2025-12-07 23:59:59"))
    early = record(
        action=Action.KEY_CREATED,
        actor=alice,
        subject=bob,
        organization_id=org,
        key_id="abcdefghjkmn",
        at=_at("2025-12-08 00:00:00"),
    )
    support = record(
        action=Action.USER_CHANGED, actor=alice, subject=bob, organization_id=org, at=_at("2025-12-08 09:00")
    )
    return {"late": late, "early": early, "support": support}


def _shown(client, **filters) -> set[int]:
    response = client.get(URL, filters)
    assert response.status_code == 200
    return {entry.pk for entry in response.context["page"].entries}


def test_a_day_is_a_day_in_zurich(alice, midnight):
    client = client_for(alice)
    assert _shown(client, since="08.12.2025", until="08.12.2025") == {midnight["early"].pk, midnight["support"].pk}
    assert _shown(client, since="07.12.2025", until="07.12.2025") == {midnight["late"].pk}
    assert _shown(client, until="2025-12-07") == {midnight["late"].pk}  # the ISO form too
    assert _shown(client, since="08.12.2025", until="31.12.2025") == {midnight["early"].pk, midnight["support"].pk}


def test_a_group_of_actions_and_one_action_of_it(alice, midnight):
    client = client_for(alice)  # (its login is an entry of today, outside December 2025)
    december = {"since": "01.12.2025", "until": "31.12.2025"}
    assert _shown(client, action="group:logins", **december) == {midnight["late"].pk}
    assert _shown(client, action="group:keys", **december) == {midnight["early"].pk}
    assert _shown(client, action="group:support", **december) == {midnight["support"].pk}
    assert _shown(client, action="group:keys", since="07.12.2025", until="07.12.2025") == set()
    assert _shown(client, action=Action.LOGIN, **december) == {midnight["late"].pk}


def test_each_action_is_in_exactly_one_group_and_the_bank_has_its_own():
    grouped = [action for _label, actions in ACTION_GROUPS.values() for action in actions]
    assert sorted(grouped) == sorted(Action.values)
    assert set(ACTION_GROUPS["support"][1]) == BANK_ACTIONS


def test_the_filter_lists_the_actions_in_their_groups(alice_client):
    html = alice_client.get(URL).content.decode()
    assert html.count("<optgroup") == len(ACTION_GROUPS)
    assert 'value="group:keys"' in html and "All of: Keys" in html


def test_the_presets_set_the_range_and_keep_the_other_filters(alice, midnight, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2025, 12, 8))
    client = client_for(alice)
    page = client.get(URL, {"action": "group:keys"}).content.decode()
    links = dict(re.findall(r'<a href="\?([^"]+)"[^>]*>(Today|Last 7 days|Last 30 days)</a>', page))
    assert set(links.values()) == {"Today", "Last 7 days", "Last 30 days"}
    by_label = {label: query.replace("&amp;", "&") for query, label in links.items()}
    assert by_label["Today"] == "action=group%3Akeys&since=08.12.2025&until=08.12.2025"
    assert by_label["Last 7 days"] == "action=group%3Akeys&since=02.12.2025&until=08.12.2025"
    today = client.get(f"{URL}?{by_label['Today']}")
    assert {entry.pk for entry in today.context["page"].entries} == {midnight["early"].pk}
    assert 'aria-current="true">Today</a>' in today.content.decode()


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"since": "31.02.2026"}, "Geben Sie ein gültiges Datum ein, zum Beispiel 31.12.2027."),
        ({"until": "morgen"}, "Geben Sie ein gültiges Datum ein, zum Beispiel 31.12.2027."),
        ({"since": "01.01.1900"}, "01.01.2000"),
        ({"since": "9999-12-31"}, "31.12.2099"),
        ({"until": "31.12.9999"}, "31.12.2099"),
        ({"since": "10.12.2026", "until": "01.12.2026"}, None),
        ({"action": "group:nothing"}, None),
    ],
)
def test_a_bad_filter_is_told_in_the_readers_language_never_a_500(alice, midnight, filters, message):
    alice.language = "de"
    alice.save()
    response = client_for(alice, HTTP_ACCEPT_LANGUAGE="de").get(URL, {**filters, "before": "1.2"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="error-summary"' in html
    assert response.context["page"].entries == []
    if message:
        assert message in html
    form = ActivityFilterForm(filters, organization=alice.organization)
    with translation.override("de"):
        assert not form.is_valid()
        for errors in form.errors.values():
            assert all("Enter" not in error and "Select" not in error for error in errors)


def test_a_range_is_walked_by_position_with_the_queries_of_the_first_page(alice, bob):
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(days=3)
    for i in range(130):
        record(
            action=Action.LOGIN,
            actor=alice,
            organization_id=alice.organization_id,
            at=start + datetime.timedelta(minutes=i),
        )
    day = timezone.localtime(start).date()
    filters = {"since": day.strftime("%d.%m.%Y"), "until": (day + datetime.timedelta(days=1)).strftime("%d.%m.%Y")}
    client = client_for(alice)
    client.get(URL)
    with CaptureQueriesContext(connection) as first:
        page = client.get(URL, filters).context["page"]
    seen = list(page.entries)
    while page.older is not None:
        with CaptureQueriesContext(connection) as deeper:
            page = client.get(URL, {**filters, "before": str(page.older)}).context["page"]
        assert len(deeper) == len(first)
        seen += page.entries
    assert len(seen) == len({entry.pk for entry in seen}) == 130
    assert all("OFFSET" not in query["sql"].upper() and "COUNT(" not in query["sql"].upper() for query in first)


def test_another_contract_sees_nothing_in_any_range(charlie, midnight):
    assert _shown(client_for(charlie), since="01.12.2025", until="31.12.2025", action="group:keys") == set()


@pytest.mark.parametrize("chosen", ["", "group:logins", Action.KEY_CREATED])
def test_a_range_and_a_group_read_an_index_in_the_logs_order(alice, bob, midnight, chosen):
    form = ActivityFilterForm(
        {"since": "01.12.2026", "until": "08.12.2026", "action": chosen, "user": bob.pk},
        organization=alice.organization,
    )
    assert form.is_valid(), form.errors
    sources = form.sources(AuditEvent.objects.of_organization(alice.organization_id))
    assert len(sources) == 2 * max(1, len(form.actions()))  # who acted and whom it concerned, per action
    for source in sources:
        plan = ordered_plan(source.order_by("-at", "-id")[:51])
        assert "audit_org_" in plan, plan
        assert is_read_in_index_order(plan), plan
