"""Reading the key list's page as its tests do: its two tables, the key IDs of their rows, one row;
and many keys made at once for them."""

import datetime
import re
from html import unescape

from django.utils import timezone

URL = "/administration/api-keys/"


def tables(html: str) -> tuple[str, str]:
    """The valid keys' table and the ended keys' table of the page `html` ("" for a table not shown:
    an empty list shows its empty state instead)."""
    return table(html, "valid-keys"), table(html, "ended-keys")


def table(html: str, testid: str) -> str:
    """The table `testid` of the page `html`, "" when there is none."""
    parts = html.split(f'data-testid="{testid}"', 1)
    return parts[1].split("</table>", 1)[0] if len(parts) == 2 else ""


def key_ids(table_html: str) -> list[str]:
    """The key IDs of the rows of a table, in their order."""
    return re.findall(r'data-key-id="([a-z2-7]{12})"', table_html)


def row_of(table_html: str, key_id: str) -> str:
    """The row of the key `key_id` (what follows its `data-key-id` up to its `</tr>`)."""
    return table_html.split(f'data-key-id="{key_id}"', 1)[1].split("</tr>", 1)[0]


def text_of(html: str) -> str:
    """What `html` reads as text: its tags left out, its entities read, each run of spaces one space."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html)))


def bulk_keys(alice, bob, count: int, *, deleted_every: int = 0) -> None:
    """`count` keys of Demo AG in one INSERT, every `deleted_every`th one deleted, newest last."""
    from apikeys import tokens
    from apikeys.models import ApiKey

    now, until = timezone.now(), timezone.localdate() + datetime.timedelta(days=300)
    key_ids = [tokens.new_key_id() for _ in range(count)]
    ApiKey.objects.bulk_create(
        ApiKey(
            key_id=key_ids[number],
            secret_hash=tokens.hash_secret(key_ids[number]),  # the database refuses two keys with one hash
            api="integration",
            organization=alice.organization,
            user=bob,
            created_by=alice,
            created_at=now - datetime.timedelta(minutes=count - number),
            valid_until=until,
            revoked_at=now if deleted_every and number % deleted_every == 0 else None,
            revoked_by=alice if deleted_every and number % deleted_every == 0 else None,
        )
        for number in range(count)
    )
