"""Form widgets whose markup is written in Python instead of Django's widget templates.

A `<select>` rendered by its templates renders two more templates per option (select_option.html and
attrs.html): the search form of the key list, with a user select of ten users, took 1.5 ms of a page
of 11 ms (`python -m tools.bench_auth`), and it grows with the organization's users. `Select` writes
the same markup (tests/lib/test_widgets.py compares the two, character for character) from the
same context (`get_context`: the options, their selection, the attributes that the bound field adds,
`aria-invalid` and `aria-describedby` among them), escaping every name, value and label as the
templates do.
"""

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, ` name` for True, nothing for False."""
    return "".join(
        f" {conditional_escape(name)}" + ("" if value is True else f'="{conditional_escape(str(value))}"')
        for name, value in attrs.items()
        if value is not False
    )


def _option(option: dict) -> str:
    """django/forms/widgets/select_option.html."""
    value = conditional_escape(str(option["value"]))
    return f'<option value="{value}"{_attrs(option["attrs"])}>{conditional_escape(option["label"])}</option>\n'


class Select(forms.Select):
    """Django's `Select`, its markup (django/forms/widgets/select.html) written in Python."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            parts.extend(f"\n  {_option(option)}" for option in group_choices)
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts).strip())  # noqa: S308 (every name, value and label escaped)
