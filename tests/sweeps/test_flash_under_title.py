"""What the last action said reads under the page's title, on every page: the title (or the key's
header) first, then the message, then the page. The templates are checked all at once, so that a page
added later follows the rule too; a few real actions show it in the rendered page."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.cast import PASSWORD

TEMPLATES = Path(settings.BASE_DIR) / "templates"
PAGES = sorted(
    path
    for path in TEMPLATES.rglob("*.html")
    if '{% extends "base.html" %}' in path.read_text() and "<h1" in path.read_text()
)
HEADING = re.compile(r"\{% block heading %\}(.*?)\{% endblock %\}", re.S)


def test_the_sweep_sees_the_pages():
    names = {path.name for path in PAGES}
    assert {"key_list.html", "key_detail.html", "security.html", "login.html", "activity.html"} <= names


@pytest.mark.parametrize("path", PAGES, ids=[str(path.relative_to(TEMPLATES)) for path in PAGES])
def test_every_page_gives_its_title_to_the_heading_block(path):
    text = path.read_text()
    heading = HEADING.search(text)
    assert heading is not None and "<h1" in heading.group(1), f"{path.name}: the <h1> belongs in {{% block heading %}}"
    assert text.count("<h1") == 1, f"{path.name}: one title a page"
    # Nobody moves or drops the messages: base.html puts them right under the heading.
    assert "{% block messages %}" not in text
    assert "includes/messages.html" not in text


def flash_follows_the_title(html: str, message: str) -> bool:
    """The messages' region comes right after the title (or the header around it), and holds `message`."""
    main = html.split('<main id="content"', 1)[1]
    after_title = re.search(r"</h1>\s*(?:</header>\s*)?(<div class=\"messages\".*?</div>)", main, re.S)
    if after_title is None:
        return False
    between = main[main.index("</h1>") : after_title.start(1)]
    return message in after_title.group(1) and not re.search(r"<(p|form|h2|section|table|ul)\b", between)


def test_a_new_technical_user_is_announced_under_user_management(alice_client):
    response = alice_client.post(
        reverse("apikeys:technical_user_create"), {"name": "ERP Nightly", "description": ""}, follow=True
    )
    assert flash_follows_the_title(response.content.decode(), "ERP Nightly")


def test_the_emergency_stop_is_announced_under_the_security_policy(alice_client, make_key):
    make_key()
    response = alice_client.post(
        reverse("apikeys:keys_suspend"), {"reason": "Token found in a public repository"}, follow=True
    )
    assert flash_follows_the_title(response.content.decode(), "suspended")


def test_resuming_is_announced_under_the_title_in_german(alice_client, make_key):
    make_key()
    alice_client.post(reverse("apikeys:keys_suspend"), {"reason": "Leak"})
    response = alice_client.post(
        reverse("apikeys:keys_resume"), {"password": PASSWORD}, follow=True, headers={"accept-language": "de"}
    )
    html = response.content.decode()
    assert 'lang="de"' in html
    assert flash_follows_the_title(html, "Die Schlüssel Ihrer Organisation funktionieren wieder")


def test_a_deleted_key_is_announced_under_the_title_of_the_key_list(alice_client, make_key):
    key, _token = make_key(note="Old ERP")
    response = alice_client.post(reverse("apikeys:delete", args=[key.key_id]), follow=True)
    assert response.redirect_chain, "deleting leads back to a page"
    assert flash_follows_the_title(response.content.decode(), key.key_id)


def test_the_check_fails_when_the_message_sits_below_the_page():
    late = '<main id="content"><h1>API keys</h1><p>Intro</p><div class="messages" role="status">Done</div></main>'
    early = '<main id="content"><h1>API keys</h1>\n<div class="messages" role="status">Done</div><p>Intro</p></main>'
    assert not flash_follows_the_title(late, "Done")
    assert flash_follows_the_title(early, "Done")
