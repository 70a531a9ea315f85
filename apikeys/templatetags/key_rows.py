"""The rows of the two key tables: what a row shows, as data (`KeyRow`, built by `key_row`), and its
markup, rendered in Python: ``{% key_rows page ended=False %}``, with the header row,
``{% key_table_head ended=False %}``.

Django's admin renders the rows of its change list the same way (`items_for_result` in
django/contrib/admin/templatetags/admin_list.py): a template per row cost ≈ 0.45 ms here, which made
a key list of 100 rows (50 valid, 50 ended) take 50 ms at 10,000 keys (`python -m tools.bench_auth`);
these rows cost a tenth of that. The same markup as a plain template is
templates/apikeys/_key_row_reference.html: tests/apikeys/test_key_row_reference.py renders both for
keys of every state and fails when they differ, so that a change to one goes to the other too.

The markup: one `<tr>` per key with its key ID as `id` (the target of «Close», #key-<key ID>) and
`data-key-id`; on a phone each cell shows its column's name from `data-label` and the table becomes
cards (`table.data.cards` in the CSS). Every value is escaped, with the standard library's
`html.escape` (what Django's `escape` calls, without its lazy-string wrapper, which cost more than the
rest of a row); every word comes from the catalogue, the columns' names and the buttons translated
once per page (`labels`, from `apikeys.views._key_table_labels`).

A new column: its field in `KeyRow`, filled in `key_row`; its name in `COLUMNS` (or a table's own) and
in the view's labels; its cell in `_Markup.row` (or in a table's own, `valid_cells` or `ended_cells`)
and in the reference template.
"""

import dataclasses
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
# The words of a key deleted without a person's decision, by its revoke reason.
REVOKE_REASON_LABELS = {
    "rejected": "rejected",
    "approval_lapsed": "not_approved_in_time",
    "requester_left": "requester_left",
}


class Page:
    """What every row of one table shares, worked out once: the words (`labels`) and the phrases with
    a value, translated; the time zone; the view's today and now (the moment of its filters). A
    translation, a time zone or a moment looked up per row cost more than the row."""

    def __init__(
        self, *, today: datetime.date, now: datetime.datetime, labels: dict, request=None, suspended: bool = False
    ):
        self.request = request
        self.suspended = suspended  # the contract's keys are suspended: every valid key reads «Suspended»
        self.today, self.now = today, now
        self.labels = {name: str(label) for name, label in labels.items()}
        self.api_names = {value: str(label) for value, label in Api.choices}
        self.status_names = {value: str(label) for value, label in Status.choices}
        self.scope_names = {value: str(label) for value, label in Scope.choices}
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
        self.select_label = _("Select the key %(key_id)s")
        self.zone = timezone.get_current_timezone()

    @classmethod
    def of(cls, context) -> "Page":
        """The page of a template's context: the view's `today`, `now` and `labels`, and its request."""
        return cls(
            today=context["today"],
            now=context["now"],
            labels=context["labels"],
            request=context.get("request"),
            suspended=context.get("suspended", False),
        )

    def day(self, value: datetime.date | datetime.datetime) -> str:
        """d.m.Y, a moment in the current time zone (as the template filter `date` shows it)."""
        if isinstance(value, datetime.datetime):
            value = value.astimezone(self.zone)
        return value.strftime("%d.%m.%Y")

    def minute(self, value: datetime.datetime, separator: str = " ") -> str:
        return value.astimezone(self.zone).strftime(f"%d.%m.%Y{separator}%H:%M")


@dataclasses.dataclass(slots=True)
class KeyRow:
    """What the row of one key shows, every text as it reads (translated, not escaped: its renderer
    escapes it). The fields after `created_by` are those of one table only; the other leaves them at
    their defaults.

    A row reads the key's users' names and its predecessor's and successor's key IDs from what
    `apikeys.views._name_rows` gave the key."""

    key: ApiKey  # for the forms of a key pending approval (rare), from their template
    key_id: str
    user: str
    api: str  # Api's value, which names the badge: production or test
    api_name: str
    scopes: list[str]  # the names of what the key may do, in its order
    note: str  # "—" for none
    replaces: str  # "replaces <key ID>", or ""
    created_on: str
    valid_until: str
    networks: list[str]  # none: any address
    created_by: str
    # The valid keys' table.
    expires_soon: bool = False
    last_used: str = ""
    pending_approval: bool = False
    stops_on: str = ""  # "Replaced — stops working on …" for a key being replaced, else ""
    replacement_waits: str = ""  # "Being replaced by … — works until it is approved …", else ""
    replacement_cancelled: str = ""  # "Replacement … rejected: works on until …", else ""
    delete_label: str = ""
    select_label: str = ""  # the name of its checkbox for «Delete selected»
    suspended: bool = False  # refused while the contract's keys are suspended (the emergency stop)
    # The table of expired and deleted keys.
    status: str = ""
    status_name: str = ""
    replaced_by: str = ""  # "by <key ID>" for a replaced key, else ""
    reason: str = ""  # why a key no person deleted was deleted, or ""
    ended_on: str = ""
    deleted_by: str = ""


def key_row(key: ApiKey, page: Page, ended: bool) -> KeyRow:
    """The row of `key` in the table of valid keys, or of ended keys when `ended`, on `page`."""
    labels = page.labels
    row = KeyRow(
        key=key,
        key_id=key.key_id,
        user=key.user_name,
        api=key.api,
        api_name=page.api_names[key.api],
        scopes=[page.scope_names[scope] for scope in key.scopes.split()],
        note=key.note or "—",
        replaces=page.replaces % {"old": key.predecessor_key_id} if key.predecessor_key_id else "",
        created_on=page.day(key.created_at),
        valid_until=page.day(key.valid_until),
        networks=key.network_list,
        created_by=key.creator_name,
    )
    if not ended:
        row.expires_soon = key.expires_soon_at(page.today, page.now)
        row.last_used = page.minute(key.last_used_at) if key.last_used_at else labels["never"]
        row.pending_approval = key.is_pending_approval
        if key.ends_at:
            row.stops_on = page.stops_on % {"end": page.minute(key.ends_at, ", ")}
        elif key.successor_key_id:  # its successor waits for approval: the overlap starts then
            overlap = overlap_words(key.successor_overlap)
            row.replacement_waits = page.waits % {"new": key.successor_key_id, "overlap": overlap}
        elif key.cancelled_successor:
            new, reason, _when = key.cancelled_successor
            cancelled = page.cancelled.get(reason, page.cancelled[""])
            row.replacement_cancelled = cancelled % {"new": new, "end": page.day(key.valid_until)}
        row.delete_label = page.delete_label % {"key_id": key.key_id}
        row.select_label = page.select_label % {"key_id": key.key_id}
        row.suspended = page.suspended
        return row
    status = row.status = key.status_at(page.today, page.now)
    row.status_name = page.status_names[status]
    successor = key.successor_key_id or (key.cancelled_successor or (None,))[0]
    if status == Status.REPLACED and successor:
        row.replaced_by = page.replaced_by % {"new": successor}
    reason = REVOKE_REASON_LABELS.get(key.revoke_reason)
    row.reason = labels[reason] if reason else ""
    if key.revoked_at:
        row.ended_on = page.day(key.revoked_at)
    elif status == Status.REPLACED:
        row.ended_on = page.minute(key.ends_at)
    else:
        row.ended_on = page.day(key.expired_on)
    if key.revoked_by_id:
        row.deleted_by = key.revoker_name + (f" ({labels['bank_support']})" if key.revoked_by_support else "")
    else:
        row.deleted_by = labels["reported_exposed"] if key.reported_exposed else "—"
    return row


# --- The markup. ---------------------------------------------------------------------------------

# The columns of both tables, in the order of their cells (`_Markup.row`), then each table's own.
COLUMNS = ("key_id", "user", "api", "note", "created_on", "valid_until", "networks", "created_by")
VALID_COLUMNS = ("last_used",)
ENDED_COLUMNS = ("status", "ended_on", "deleted_by")


def _words(labels) -> dict[str, str]:
    return {name: escape(str(label)) for name, label in labels.items()}


@register.simple_tag(takes_context=True)
def key_table_head(context, ended: bool = False) -> SafeString:
    """``{% key_table_head ended=False %}``: the header row of a key table, from the same words."""
    words = _words(context["labels"])
    cells = [f'<th scope="col">{words[name]}</th>' for name in COLUMNS + (ENDED_COLUMNS if ended else VALID_COLUMNS)]
    if not ended:
        cells.insert(0, f'<th scope="col"><span class="visually-hidden">{words["select"]}</span></th>')
        cells.append(f'<th scope="col"><span class="visually-hidden">{words["actions"]}</span></th>')
    return mark_safe("<thead><tr>\n    " + "\n    ".join(cells) + "\n  </tr></thead>")  # noqa: S308 (escaped words)


@register.simple_tag(takes_context=True)
def key_rows(context, keys, ended: bool = False) -> SafeString:
    """``{% key_rows page ended=False %}``: the rows of `keys`, each annotated with its users' names and
    its predecessor's and successor's key IDs (`apikeys.views._name_rows`)."""
    page = Page.of(context)
    markup = _Markup(page)
    cells = markup.ended_cells if ended else markup.valid_cells
    lead = None if ended else markup.select_cell
    return mark_safe("".join(markup.row(key_row(key, page, ended), cells, lead) for key in keys))  # noqa: S308 (escaped)


class _Markup:
    """The markup of one page's rows: its words escaped once, the shapes of its links."""

    def __init__(self, page: Page):
        self.page = page
        self.words = _words(page.labels)
        names = ("detail", "replace", "key_networks", "delete")
        self.urls = {name: escape(reverse(f"apikeys:{name}", args=[_KEY_ID])) for name in names}

    def url(self, name: str, key_id: str) -> str:
        return self.urls[name].replace(_KEY_ID, key_id)

    def row(self, row: KeyRow, table_cells, lead_cell=None) -> str:
        words = self.words
        key_id = escape(row.key_id)
        kind = "production" if row.api == Api.PRODUCTION else "test"
        badge = f'<span class="badge {kind}" data-testid="badge-{kind}">{words[kind]}</span>'
        replaces = f' <small class="replaces">{escape(row.replaces)}</small>' if row.replaces else ""
        soon = f' <span class="badge soon" data-testid="expires-soon">{words["expires_soon"]}</span>'
        networks = "<br>".join(f"<code>{escape(network)}</code>" for network in row.networks) or words["any_address"]
        suspended = f' <span class="badge status-suspended" data-testid="key-suspended">{words["suspended"]}</span>'
        cells = [
            *([lead_cell(row, key_id)] if lead_cell else []),
            f'<td data-label="{words["key_id"]}"><a href="{self.url("detail", key_id)}" data-testid="key-link">'
            f'<code class="nowrap">{key_id}</code></a>{suspended if row.suspended else ""}</td>',
            f'<td data-label="{words["user"]}" class="wrap-anywhere">{escape(row.user)}</td>',
            f'<td data-label="{words["api"]}" data-testid="key-api"><span class="api-name">'
            f"{escape(row.api_name)}</span> {badge}"
            f'<br><small class="scopes" data-testid="key-scopes">{", ".join(map(escape, row.scopes))}</small></td>',
            f'<td data-label="{words["note"]}" class="note">{escape(row.note)}{replaces}</td>',
            f'<td data-label="{words["created_on"]}">{row.created_on}</td>',
            f'<td data-label="{words["valid_until"]}">{row.valid_until}{soon if row.expires_soon else ""}</td>',
            f'<td data-label="{words["networks"]}" data-testid="networks">{networks}</td>',
            f'<td data-label="{words["created_by"]}" class="wrap-anywhere">{escape(row.created_by)}</td>',
            *table_cells(row, key_id),
        ]
        return f'<tr id="key-{key_id}" data-key-id="{key_id}">\n  ' + "\n  ".join(cells) + "\n</tr>"

    def select_cell(self, row: KeyRow, key_id: str) -> str:
        """The checkbox of «Delete selected»: it belongs to the form after the table (`form=`), since
        a row holds forms of its own (the approval's) and forms do not nest."""
        return (
            f'<td class="select-cell" data-label="{self.words["select"]}">'
            f'<input type="checkbox" name="key" value="{key_id}" form="bulk-delete" '
            f'aria-label="{escape(row.select_label)}" data-testid="select-key"></td>'
        )

    def ended_cells(self, row: KeyRow, key_id: str) -> list[str]:
        words = self.words
        replaced_by = f" ({escape(row.replaced_by)})" if row.replaced_by else ""
        reason = f" ({escape(row.reason)})" if row.reason else ""
        return [
            f'<td data-label="{words["status"]}"><span class="badge status-{escape(row.status)}">'
            f"{escape(row.status_name)}{replaced_by}</span>{reason}</td>",
            f'<td data-label="{words["ended_on"]}">{row.ended_on}</td>',
            f'<td data-label="{words["deleted_by"]}" class="wrap-anywhere">{escape(row.deleted_by)}</td>',
        ]

    def valid_cells(self, row: KeyRow, key_id: str) -> list[str]:
        words = self.words
        approval = ""
        if row.pending_approval:  # rare: its forms (CSRF token included) come from their template
            context = {"key": row.key, "requester_left": row.key.creator_left}
            approval = render_to_string("apikeys/_key_approval.html", context, request=self.page.request)
        if row.stops_on:
            replace = f'<span class="badge soon" data-testid="replaced">{escape(row.stops_on)}</span>'
        elif row.replacement_waits:
            replace = f'<span class="badge" data-testid="replacement-waits">{escape(row.replacement_waits)}</span>'
        else:
            replace = (
                f'<a class="button small" href="{self.url("replace", key_id)}" data-testid="replace">'
                f"{words['replace']}</a>"
            )
            if row.replacement_cancelled:
                cancelled = escape(row.replacement_cancelled)
                badge = f'<span class="badge" data-testid="replacement-cancelled">{cancelled}</span>'
                replace = f"{badge}\n      {replace}"
        return [
            f'<td data-label="{words["last_used"]}">{escape(row.last_used)}</td>',
            f'<td class="actions-cell">{approval}\n      {replace}\n      '
            f'<a class="button small" href="{self.url("key_networks", key_id)}">{words["edit_networks"]}</a>'
            f'\n      <a class="button danger small" href="{self.url("delete", key_id)}" '
            f'aria-label="{escape(row.delete_label)}">{words["delete"]}</a></td>',
        ]
