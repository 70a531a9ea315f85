"""Reading the key list's page as its tests do: its two tables, the key IDs of their rows, one row."""

import re

URL = "/administration/api-keys/"


def tables(html: str) -> tuple[str, str]:
    """The valid keys' table and the ended keys' table of the page `html`."""
    valid = html.split('data-testid="valid-keys"', 1)[1].split("</table>", 1)[0]
    ended = html.split('data-testid="ended-keys"', 1)[1].split("</table>", 1)[0]
    return valid, ended


def key_ids(table_html: str) -> list[str]:
    """The key IDs of the rows of a table, in their order."""
    return re.findall(r'data-key-id="([a-z2-7]{12})"', table_html)


def row_of(table_html: str, key_id: str) -> str:
    """The row of the key `key_id` (what follows its `data-key-id` up to its `</tr>`)."""
    return table_html.split(f'data-key-id="{key_id}"', 1)[1].split("</tr>", 1)[0]
