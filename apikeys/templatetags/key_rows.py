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
`data-key-id`; six cells: the key (its note as its name, a link to its page, its key ID under it; in
the valid keys' table the checkbox of «Delete selected» before them), the API's mark, the user, then
each table's own; the valid keys' actions in one menu, a <details>. Identifiers (key IDs, usernames)
are `.ident`, never broken. On a phone a row is a card of three lines (`table.data.cards.keys` in the
CSS, which reads the cells' classes and `data-label`). Every value is escaped, with the standard library's
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
from django.utils.translation import ngettext

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
        self.replaces = _("replaces %(old)s").partition("%(old)s")
        self.replaced_by = _("by %(new)s").partition("%(new)s")
        self.stops_on = _("Replaced — stops working on %(end)s")
        self.waits = _("Being replaced by %(new)s — works until it is approved, then for %(overlap)s")
        self.cancelled = {
            "rejected": _("Replacement %(new)s rejected: works on until %(end)s"),
            "approval_lapsed": _("Replacement %(new)s not approved in time: works on until %(end)s"),
            "requester_left": _("Replacement %(new)s lapsed, its requester left: works on until %(end)s"),
            "": _("Replacement %(new)s deleted: works on until %(end)s"),
        }
        self.menu_label = _("Actions for the key %(key_id)s")
        self.delete_label = _("Delete the key %(key_id)s")
        self.select_label = _("Select the key %(key_id)s")
        self.zone = timezone.get_current_timezone()
        self.yesterday = today - datetime.timedelta(days=1)
        self.used_today, self.used_yesterday = _("today %(time)s"), _("yesterday %(time)s")
        self._in_days: dict[int, str] = {}

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

    def expires(self, last_day: datetime.date) -> str:
        """«in 12 days · 19.12.2026» for a key whose last working day is `last_day` («today · …» on
        that day, «tomorrow · …» the day before)."""
        days = (last_day - self.today).days
        words = self._in_days.get(days)
        if words is None:
            if days == 0:
                words = _("today")
            elif days == 1:
                words = _("tomorrow")
            else:
                words = ngettext("in %(days)s day", "in %(days)s days", days) % {"days": days}
            self._in_days[days] = words
        return f"{words} · {last_day.strftime('%d.%m.%Y')}"

    def last_used(self, value: datetime.datetime) -> str:
        """«today 17:41», «yesterday 09:05», else «05.12.2026 17:41»."""
        local = value.astimezone(self.zone)
        day, time = local.date(), local.strftime("%H:%M")
        if day == self.today:
            return self.used_today % {"time": time}
        if day == self.yesterday:
            return self.used_yesterday % {"time": time}
        return local.strftime("%d.%m.%Y %H:%M")


Phrase = tuple[str, str, str]  # words, an identifier, words: «replaces », a key ID, «»


def phrase(text: str, name: str, identifier: str, **values) -> Phrase:
    """`text` (a translated phrase with ``%(name)s`` and other `values`) split around `identifier`,
    so that its renderer can keep the identifier whole (``<code class="ident">``) in any language."""
    before, _mark, after = (text % {**values, name: "\0"}).partition("\0")
    return before, identifier, after


@dataclasses.dataclass(slots=True)
class KeyRow:
    """What the row of one key shows, every text as it reads (translated, not escaped: its renderer
    escapes it). The fields after `replaces` are those of one table only; the other leaves them at
    their defaults. A `Phrase` is words around a key ID, which the markup keeps from breaking.

    A row reads the key's users' names and its predecessor's and successor's key IDs from what
    `apikeys.views._name_rows` gave the key."""

    key: ApiKey  # for the forms of a key pending approval (rare), from their template
    key_id: str
    name: str  # the key's note, or «(no note)»
    named: bool  # it has a note
    user: str
    api: str  # Api's value, which names the mark: production or test
    replaces: Phrase | tuple = ()  # «replaces <key ID>»
    # The valid keys' table.
    expires: str = ""  # «in 12 days · 19.12.2026»: the day it stops working
    expires_soon: bool = False
    last_used: str = ""  # «today 17:41», «never»
    pending_approval: bool = False
    stops_on: str = ""  # "Replaced — stops working on …" for a key being replaced, else ""
    replacement_waits: Phrase | tuple = ()  # «Being replaced by <key ID> — works until it is approved …»
    replacement_cancelled: Phrase | tuple = ()  # «Replacement <key ID> rejected: works on until …»
    menu_label: str = ""  # the name of its menu of actions
    delete_label: str = ""
    select_label: str = ""  # the name of its checkbox for «Delete selected»
    suspended: bool = False  # refused while the contract's keys are suspended (the emergency stop)
    # The table of expired and deleted keys.
    status: str = ""
    status_name: str = ""
    replaced_by: Phrase | tuple = ()  # «by <key ID>» for a replaced key
    reason: str = ""  # why a key no person deleted was deleted, or ""
    ended_on: str = ""
    deleted_by: str = ""  # the username of who deleted it, or ""
    deleted_how: str = ""  # «bank support», «reported as exposed», or "—" when nobody and nothing


def key_row(key: ApiKey, page: Page, ended: bool) -> KeyRow:
    """The row of `key` in the table of valid keys, or of ended keys when `ended`, on `page`."""
    labels = page.labels
    row = KeyRow(
        key=key,
        key_id=key.key_id,
        name=key.note or labels["no_note"],
        named=bool(key.note),
        user=key.user_name,
        api=key.api,
    )
    if key.predecessor_key_id:
        row.replaces = (page.replaces[0], key.predecessor_key_id, page.replaces[2])
    if not ended:
        ends = timezone.localdate(key.ends_at, page.zone) if key.ends_at else key.valid_until
        row.expires = page.expires(min(ends, key.valid_until))
        row.expires_soon = key.expires_soon_at(page.today, page.now)
        row.last_used = page.last_used(key.last_used_at) if key.last_used_at else labels["never"]
        row.pending_approval = key.is_pending_approval
        if key.ends_at:
            row.stops_on = page.stops_on % {"end": page.minute(key.ends_at, ", ")}
        elif key.successor_key_id:  # its successor waits for approval: the overlap starts then
            overlap = overlap_words(key.successor_overlap)
            row.replacement_waits = phrase(page.waits, "new", key.successor_key_id, overlap=overlap)
        elif key.cancelled_successor:
            new, reason, _when = key.cancelled_successor
            cancelled = page.cancelled.get(reason, page.cancelled[""])
            row.replacement_cancelled = phrase(cancelled, "new", new, end=page.day(key.valid_until))
        row.menu_label = page.menu_label % {"key_id": key.key_id}
        row.delete_label = page.delete_label % {"key_id": key.key_id}
        row.select_label = page.select_label % {"key_id": key.key_id}
        row.suspended = page.suspended
        return row
    status = row.status = key.status_at(page.today, page.now)
    row.status_name = page.status_names[status]
    successor = key.successor_key_id or (key.cancelled_successor or (None,))[0]
    if status == Status.REPLACED and successor:
        row.replaced_by = (page.replaced_by[0], successor, page.replaced_by[2])
    reason = REVOKE_REASON_LABELS.get(key.revoke_reason)
    row.reason = labels[reason] if reason else ""
    if key.revoked_at:
        row.ended_on = page.day(key.revoked_at)
    elif status == Status.REPLACED:
        row.ended_on = page.minute(key.ends_at)
    else:
        row.ended_on = page.day(key.expired_on)
    if key.revoked_by_id:
        row.deleted_by = key.revoker_name
        row.deleted_how = labels["bank_support"] if key.revoked_by_support else ""
    else:
        row.deleted_how = labels["reported_exposed"] if key.reported_exposed else "—"
    return row


# --- The markup. ---------------------------------------------------------------------------------

# The columns of both tables, in the order of their cells (`_Markup.row`), then each table's own; the
# valid keys' last column, their menu of actions, has a hidden name (`actions`).
COLUMNS = ("key", "api", "user")
VALID_COLUMNS = ("expires", "last_used")
ENDED_COLUMNS = ("status", "ended_on", "deleted_by")


def _words(labels) -> dict[str, str]:
    return {name: escape(str(label)) for name, label in labels.items()}


def _phrase(words: Phrase) -> str:
    """A `Phrase` as markup: its key ID in one piece (`.ident`), its words escaped."""
    before, identifier, after = words
    return f'{escape(before)}<code class="ident">{escape(identifier)}</code>{escape(after)}'


@register.simple_tag(takes_context=True)
def key_table_head(context, ended: bool = False) -> SafeString:
    """``{% key_table_head ended=False %}``: the header row of a key table, from the same words."""
    words = _words(context["labels"])
    cells = [f'<th scope="col">{words[name]}</th>' for name in COLUMNS + (ENDED_COLUMNS if ended else VALID_COLUMNS)]
    if not ended:
        cells.append(f'<th scope="col"><span class="visually-hidden">{words["actions"]}</span></th>')
    return mark_safe("<thead><tr>\n    " + "\n    ".join(cells) + "\n  </tr></thead>")  # noqa: S308 (escaped words)


@register.simple_tag(takes_context=True)
def key_rows(context, keys, ended: bool = False) -> SafeString:
    """``{% key_rows page ended=False %}``: the rows of `keys`, each annotated with its users' names and
    its predecessor's and successor's key IDs (`apikeys.views._name_rows`)."""
    page = Page.of(context)
    markup = _Markup(page)
    cells = markup.ended_cells if ended else markup.valid_cells
    return mark_safe("".join(markup.row(key_row(key, page, ended), cells, not ended) for key in keys))  # noqa: S308 (escaped)


class _Markup:
    """The markup of one page's rows: its words escaped once, the shapes of its links."""

    def __init__(self, page: Page):
        self.page = page
        self.words = _words(page.labels)
        names = ("detail", "replace", "key_networks", "delete")
        self.urls = {name: escape(reverse(f"apikeys:{name}", args=[_KEY_ID])) for name in names}

    def url(self, name: str, key_id: str) -> str:
        return self.urls[name].replace(_KEY_ID, key_id)

    def row(self, row: KeyRow, table_cells, selectable: bool) -> str:
        """The row: the key (its name, a link to its page, and its key ID; in the table of valid keys
        the checkbox of «Delete selected» before them and what is special about it after), its API's
        mark, its user, then the table's own cells."""
        words = self.words
        key_id = escape(row.key_id)
        kind = "production" if row.api == Api.PRODUCTION else "test"
        select = (
            f'<input type="checkbox" class="select" name="key" value="{key_id}" form="bulk-delete" '
            f'aria-label="{escape(row.select_label)}" data-testid="select-key">'
            if selectable
            else ""
        )
        replaces = f'\n    <small class="replaces">{_phrase(row.replaces)}</small>' if row.replaces else ""
        named = "" if row.named else " unnamed"
        cells = [
            f'<td class="c-key">{select}<div class="key-main">\n    <a class="key-name{named}" '
            f'href="{self.url("detail", key_id)}" data-testid="key-link">{escape(row.name)}</a>\n    '
            f'<code class="ident key-id">{key_id}</code>{replaces}{self.status(row)}</div></td>',
            f'<td class="c-api" data-testid="key-api"><span class="badge {kind}" data-testid="badge-{kind}">'
            f"{words[kind]}</span></td>",
            f'<td class="c-user" data-label="{words["user"]}"><span class="ident">{escape(row.user)}</span></td>',
            *table_cells(row, key_id),
        ]
        return f'<tr id="key-{key_id}" data-key-id="{key_id}">\n  ' + "\n  ".join(cells) + "\n</tr>"

    def status(self, row: KeyRow) -> str:
        """What is special about a valid key, under its key ID: suspended, waiting for approval, being
        replaced, its replacement cancelled. Nothing for most keys."""
        words = self.words
        marks = []
        if row.suspended:
            suspended = words["suspended"]
            marks.append(f'<span class="badge status-suspended" data-testid="key-suspended">{suspended}</span>')
        if row.pending_approval:
            marks.append(f'<span class="badge" data-testid="key-pending">{words["pending_approval"]}</span>')
        if row.stops_on:
            marks.append(f'<span class="badge soon" data-testid="replaced">{escape(row.stops_on)}</span>')
        elif row.replacement_waits:
            marks.append(f'<span class="badge" data-testid="replacement-waits">{_phrase(row.replacement_waits)}</span>')
        elif row.replacement_cancelled:
            cancelled = _phrase(row.replacement_cancelled)
            marks.append(f'<span class="badge" data-testid="replacement-cancelled">{cancelled}</span>')
        return f'\n    <span class="key-status">{"".join(marks)}</span>' if marks else ""

    def ended_cells(self, row: KeyRow, key_id: str) -> list[str]:
        words = self.words
        replaced_by = f' <small class="replaced-by">{_phrase(row.replaced_by)}</small>' if row.replaced_by else ""
        reason = f" ({escape(row.reason)})" if row.reason else ""
        who = f'<span class="ident">{escape(row.deleted_by)}</span>' if row.deleted_by else ""
        how = f" ({escape(row.deleted_how)})" if who and row.deleted_how else escape(row.deleted_how)
        return [
            f'<td class="c-status"><span class="badge status-{escape(row.status)}">'
            f"{escape(row.status_name)}</span>{replaced_by}{reason}</td>",
            f'<td class="c-ended" data-label="{words["ended_on"]}">{row.ended_on}</td>',
            f'<td class="c-by" data-label="{words["deleted_by"]}">{who}{how}</td>',
        ]

    def valid_cells(self, row: KeyRow, key_id: str) -> list[str]:
        """«Expires», «Last used», and the menu of actions (a <details>, which opens without JS): the
        key's page, «Replace», its networks, «Delete»; Approve and Reject of a key pending approval."""
        words = self.words
        approval = ""
        if row.pending_approval:  # rare: its forms (CSRF token included) come from their template
            context = {"key": row.key, "requester_left": row.key.creator_left}
            approval = render_to_string("apikeys/_key_approval.html", context, request=self.page.request)
        replace = ""
        if not row.stops_on and not row.replacement_waits:
            replace = f'\n      <a href="{self.url("replace", key_id)}" data-testid="replace">{words["replace"]}</a>'
        soon = ' class="soon" data-testid="expires-soon"' if row.expires_soon else ""
        return [
            f'<td class="c-expires" data-label="{words["expires"]}"><span{soon}>{escape(row.expires)}</span></td>',
            f'<td class="c-used" data-label="{words["last_used"]}" data-short="{words["used"]}">'
            f"{escape(row.last_used)}</td>",
            f'<td class="c-actions"><details class="row-menu" data-testid="key-menu">'
            f'<summary><span aria-hidden="true">{words["actions"]}</span>'
            f'<span class="visually-hidden">{escape(row.menu_label)}</span></summary>'
            f'<div class="row-menu-body">{approval}\n      '
            f'<a href="{self.url("detail", key_id)}">{words["details"]}</a>{replace}\n      '
            f'<a href="{self.url("key_networks", key_id)}">{words["edit_networks"]}</a>\n      '
            f'<a class="danger" href="{self.url("delete", key_id)}" aria-label="{escape(row.delete_label)}">'
            f"{words['delete']}</a></div></details></td>",
        ]
