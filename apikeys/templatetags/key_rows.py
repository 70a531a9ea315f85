"""The rows of the two key tables, rendered in Python: ``{% key_rows page ended=False %}``, and their
header row, ``{% key_table_head ended=False %}``.

Django's admin renders the rows of its change list the same way (`items_for_result` in
django/contrib/admin/templatetags/admin_list.py): a template per row cost ≈ 0.45 ms here, which made
a key list of 100 rows (50 valid, 50 ended) take 50 ms at 10,000 keys (`python -m tools.bench_auth`);
these rows cost a tenth of that. The markup is the one the template had: one `<tr>` per key with its
key ID as `id` (the target of «Close», #key-<key ID>) and `data-key-id`; on a phone each cell shows its
column's name from `data-label` and the table becomes cards (`table.data.cards` in the CSS). Every
value is escaped, with the standard library's `html.escape` (what Django's `escape` calls, without
its lazy-string wrapper, which cost more than the rest of a row); every word comes from the catalogue,
the columns' names and the buttons translated and escaped once per page (`labels`, from
`apikeys.views._key_table_labels`).
"""

import datetime
from html import escape

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from apikeys.models import Api, ApiKey, Scope, Status
from apikeys.templatetags.keys import overlap_words

register = template.Library()

# A key ID is 12 characters of [a-z2-7]: this stand-in reverses to the same URL shape once per page.
_KEY_ID = "keyidkeyidke"
REVOKE_REASON_LABELS = {
    "rejected": "rejected",
    "approval_lapsed": "not_approved_in_time",
    "requester_left": "requester_left",
}


def _words(context) -> dict[str, str]:
    return {name: escape(str(label)) for name, label in context["labels"].items()}


class _Page:
    """What every row of one table shares, worked out once: the words, translated and escaped; the
    phrases with a value, translated (escaped once filled in); the time zone; the view's today and
    now (the moment of its filters); the links' shapes. A translation, a time zone or a moment looked
    up per row cost more than the row."""

    def __init__(self, context):
        self.request = context.get("request")
        self.words = _words(context)
        self.api_names = {value: escape(str(label)) for value, label in Api.choices}
        self.status_names = {value: escape(str(label)) for value, label in Status.choices}
        self.scope_names = {value: escape(str(label)) for value, label in Scope.choices}
        self.replaces = _("replaces %(old)s")
        self.replaced_by = _("by %(new)s")
        self.stops_on = _("Replaced — stops working on %(end)s")
        self.waits = _("Being replaced by %(new)s — works until it is approved, then for %(overlap)s")
        self.cancelled = {
            "rejected": _("Replacement %(new)s rejected: works on until %(end)s"),
            "approval_lapsed": _("Replacement %(new)s not approved in time: works on until %(end)s"),
            "requester_left": _("Replacement %(new)s lapsed, its requester left: works on until %(end)s"),
            "": _("Replacement %(new)s deleted: works on until %(end)s"),
        }
        self.delete_label = _("Delete the key %(key_id)s")
        self.zone = timezone.get_current_timezone()
        self.now, self.today = context["now"], context["today"]
        self.urls = {
            name: escape(reverse(f"apikeys:{name}", args=[_KEY_ID]))
            for name in ("detail", "replace", "key_networks", "delete")
        }

    def day(self, value: datetime.date | datetime.datetime) -> str:
        """d.m.Y, a moment in the current time zone (as the template filter `date` shows it)."""
        if isinstance(value, datetime.datetime):
            value = value.astimezone(self.zone)
        return value.strftime("%d.%m.%Y")

    def minute(self, value: datetime.datetime, separator: str = " ") -> str:
        return value.astimezone(self.zone).strftime(f"%d.%m.%Y{separator}%H:%M")

    def url(self, name: str, key_id: str) -> str:
        return self.urls[name].replace(_KEY_ID, key_id)


# The columns of both tables, in the order of their cells (`_row`), then each table's own.
COLUMNS = ("key_id", "user", "api", "note", "created_on", "valid_until", "networks", "created_by")
VALID_COLUMNS = ("last_used",)
ENDED_COLUMNS = ("status", "ended_on", "deleted_by")


@register.simple_tag(takes_context=True)
def key_table_head(context, ended: bool = False) -> SafeString:
    """``{% key_table_head ended=False %}``: the header row of a key table, from the same words."""
    words = _words(context)
    cells = [f'<th scope="col">{words[name]}</th>' for name in COLUMNS + (ENDED_COLUMNS if ended else VALID_COLUMNS)]
    if not ended:
        cells.append(f'<th scope="col"><span class="visually-hidden">{words["actions"]}</span></th>')
    return mark_safe("<thead><tr>\n    " + "\n    ".join(cells) + "\n  </tr></thead>")  # noqa: S308 (escaped words)


@register.simple_tag(takes_context=True)
def key_rows(context, keys, ended: bool = False) -> SafeString:
    """``{% key_rows page ended=False %}``: the rows of `keys`, each annotated with its users' names and
    its predecessor's and successor's key IDs (`apikeys.views._name_rows`)."""
    page = _Page(context)
    return mark_safe("".join(_row(page, key, ended) for key in keys))  # noqa: S308 (every value in a row is escaped)


def _row(page: _Page, key: ApiKey, ended: bool) -> str:
    words = page.words
    key_id = escape(key.key_id)
    if key.api == "production":
        badge = f'<span class="badge production" data-testid="badge-production">{words["production"]}</span>'
    else:
        badge = f'<span class="badge test" data-testid="badge-test">{words["test"]}</span>'
    replaces = ""
    if key.predecessor_key_id:
        replaces = f' <small class="replaces">{escape(page.replaces % {"old": key.predecessor_key_id})}</small>'
    soon = ""
    if not ended and key.expires_soon_at(page.today, page.now):
        soon = f' <span class="badge soon" data-testid="expires-soon">{words["expires_soon"]}</span>'
    scopes = ", ".join(page.scope_names[scope] for scope in key.scopes.split())
    networks = "<br>".join(f"<code>{escape(network)}</code>" for network in key.network_list) or words["any_address"]
    cells = [
        f'<td data-label="{words["key_id"]}"><a href="{page.url("detail", key_id)}" data-testid="key-link">'
        f'<code class="nowrap">{key_id}</code></a></td>',
        f'<td data-label="{words["user"]}" class="wrap-anywhere">{escape(key.user_name)}</td>',
        f'<td data-label="{words["api"]}" data-testid="key-api"><span class="api-name">'
        f"{page.api_names[key.api]}</span> {badge}"
        f'<br><small class="scopes" data-testid="key-scopes">{scopes}</small></td>',
        f'<td data-label="{words["note"]}" class="note">{escape(key.note or "—")}{replaces}</td>',
        f'<td data-label="{words["created_on"]}">{page.day(key.created_at)}</td>',
        f'<td data-label="{words["valid_until"]}">{page.day(key.valid_until)}{soon}</td>',
        f'<td data-label="{words["networks"]}" data-testid="networks">{networks}</td>',
        f'<td data-label="{words["created_by"]}" class="wrap-anywhere">{escape(key.creator_name)}</td>',
    ]
    cells += _ended_cells(page, key) if ended else _valid_cells(page, key, key_id)
    return f'<tr id="key-{key_id}" data-key-id="{key_id}">\n  ' + "\n  ".join(cells) + "\n</tr>"


def _ended_cells(page: _Page, key: ApiKey) -> list[str]:
    words = page.words
    status = key.status_at(page.today, page.now)
    successor = ""
    new = key.successor_key_id or (key.cancelled_successor or (None,))[0]
    if status == Status.REPLACED and new:
        successor = f" ({escape(page.replaced_by % {'new': new})})"
    reason = REVOKE_REASON_LABELS.get(key.revoke_reason)
    if key.revoked_at:
        ended_on = page.day(key.revoked_at)
    elif status == Status.REPLACED:
        ended_on = page.minute(key.ends_at)
    else:
        ended_on = page.day(key.expired_on)
    if key.revoked_by_id:
        deleted_by = escape(key.revoker_name) + (f" ({words['bank_support']})" if key.revoked_by_support else "")
    else:
        deleted_by = words["reported_exposed"] if key.reported_exposed else "—"
    return [
        f'<td data-label="{words["status"]}"><span class="badge status-{escape(status)}">'
        f"{page.status_names[status]}{successor}</span>" + (f" ({words[reason]})" if reason else "") + "</td>",
        f'<td data-label="{words["ended_on"]}">{ended_on}</td>',
        f'<td data-label="{words["deleted_by"]}" class="wrap-anywhere">{deleted_by}</td>',
    ]


def _valid_cells(page: _Page, key: ApiKey, key_id: str) -> list[str]:
    words = page.words
    last_used = page.minute(key.last_used_at) if key.last_used_at else words["never"]
    approval = ""
    if key.is_pending_approval:  # rare: its forms (CSRF token included) come from their template
        approval = render_to_string(
            "apikeys/_key_approval.html", {"key": key, "requester_left": key.creator_left}, request=page.request
        )
    if key.ends_at:
        end = page.stops_on % {"end": page.minute(key.ends_at, ", ")}
        replace = f'<span class="badge soon" data-testid="replaced">{escape(end)}</span>'
    elif key.successor_key_id:  # its successor waits for approval: the overlap starts then
        end = page.waits % {"new": key.successor_key_id, "overlap": overlap_words(key.successor_overlap)}
        replace = f'<span class="badge" data-testid="replacement-waits">{escape(end)}</span>'
    else:
        replace = (
            f'<a class="button small" href="{page.url("replace", key_id)}" data-testid="replace">{words["replace"]}</a>'
        )
        if key.cancelled_successor:
            new, reason, _when = key.cancelled_successor
            text = page.cancelled.get(reason, page.cancelled[""]) % {"new": new, "end": page.day(key.valid_until)}
            replace = f'<span class="badge" data-testid="replacement-cancelled">{escape(text)}</span>\n      ' + replace
    delete_label = escape(page.delete_label % {"key_id": key.key_id})
    return [
        f'<td data-label="{words["last_used"]}">{last_used}</td>',
        f'<td class="actions-cell">{approval}\n      {replace}\n      '
        f'<a class="button small" href="{page.url("key_networks", key_id)}">{words["edit_networks"]}</a>'
        f'\n      <a class="button danger small" href="{page.url("delete", key_id)}" '
        f'aria-label="{delete_label}">{words["delete"]}</a></td>',
    ]
