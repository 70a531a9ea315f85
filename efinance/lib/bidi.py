"""Unicode's bidirectional controls in what people type: refused where they type it, shown harmless
where something already stored holds one.

A right-to-left override (U+202E) in a key's note makes «invoice-sync», U+202E, «fdp.exe» read as
«invoice-syncexe.pdf» on every screen, e-mail and report that shows the note, and an isolate or an
embedding can reorder the text around it (a key ID, a date) in the same way ("Trojan Source",
CVE-2021-42574). Nobody needs one in a note, a reason or a description: the forms refuse them
(`refuse_bidi_controls`, on every free-text field people fill in), and the fields that hold such text
read from the database with each control replaced by its visible code, «[U+202E]» (`PlainCharField`,
`PlainJSONField`), so that text stored before the forms refused them is shown neutralised on every
screen, in e-mails, in the support admin, the credential report and «Activity» alike.

Both fields tell the migrations they are Django's own (`deconstruct`): the columns are the same, only
what Python reads from them differs.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# The explicit directional formatting characters of UAX #9: marks, embeddings, overrides, isolates.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_RE = re.compile(f"[{BIDI_CONTROLS}]")


def neutralise(text: str) -> str:
    """`text` with each bidirectional control replaced by its visible code point, «[U+202E]»."""
    if not isinstance(text, str) or not _BIDI_RE.search(text):
        return text
    return _BIDI_RE.sub(lambda match: f"[U+{ord(match[0]):04X}]", text)


def _neutralise_all(value):
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, list):
        return [_neutralise_all(item) for item in value]
    if isinstance(value, dict):
        return {key: _neutralise_all(item) for key, item in value.items()}
    return value


def refuse_bidi_controls(value) -> None:
    """A form field's validator: no bidirectional control characters."""
    if isinstance(value, str) and _BIDI_RE.search(value):
        raise ValidationError(
            _(
                "Remove the invisible text-direction characters (such as U+202E): they make text read "
                "differently from what it is."
            ),
            code="bidi_control",
        )


class PlainCharField(models.CharField):
    """A `CharField` that refuses bidirectional controls (its validator, in model forms and the admin)
    and reads them, where stored, as their visible code."""

    default_validators = [refuse_bidi_controls]

    def from_db_value(self, value, expression, connection):
        return neutralise(value)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class PlainJSONField(models.JSONField):
    """A `JSONField` whose strings, at any depth, read with bidirectional controls as their visible code."""

    def from_db_value(self, value, expression, connection):
        return _neutralise_all(super().from_db_value(value, expression, connection))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs
