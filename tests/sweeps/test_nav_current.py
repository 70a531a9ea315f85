"""The header marks where the user is (`aria-current`), for a screen reader as for the eye: «page» on
the page a link leads to, «true» on Administration for the pages under it; nothing elsewhere."""

import re

import pytest


def current(html: str) -> dict[str, str]:
    header = html.split("</header>", 1)[0]
    return {href: value for href, value in re.findall(r'<a href="([^"]+)"[^>]*aria-current="([^"]+)"', header)}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", {"/": "page"}),
        ("/administration/", {"/administration/": "page"}),
        ("/administration/api-keys/", {"/administration/": "true"}),
        ("/administration/activity/", {"/administration/": "true"}),
        ("/accounts/security/", {"/accounts/security/": "page"}),
    ],
)
def test_the_header_marks_the_current_place(alice_client, path, expected):
    response = alice_client.get(path)
    assert response.status_code == 200, path
    assert current(response.content.decode()) == expected
