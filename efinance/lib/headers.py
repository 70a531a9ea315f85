"""Response headers known before the request: checked once by Django, then written in one step.

Django checks and converts a header's name and value on every assignment (`ResponseHeaders.__setitem__`:
an ASCII name, a Latin-1 value or its MIME encoding, no line break). callgrind counts about 7,300
instructions for one such assignment, and an answer of the API carries a dozen headers whose names
and values are known when the server starts (nosniff, the referrer and opener policies, HSTS, the CSP
of JSON, X-Frame-Options, Vary) or once per language or key (Content-Language, the key's end): before
this module, about a twelfth of the authenticated ping (`python -m tools.bench_instructions`).

A `FixedHeaders` has Django check its headers once, when it is made, and keeps the checked items;
writing them to a response then puts those items into the response's header store as they are.
That store is `ResponseHeaders._store` (lower-case name → (name, value)), what Django's own
`__setitem__` fills: `tests/lib/test_fixed_headers.py` holds the two to the same result.
"""

from collections.abc import Iterable, Mapping

from django.http import HttpResponseBase
from django.http.response import ResponseHeaders


class FixedHeaders:
    """Headers checked by Django once, at construction (`BadHeaderError` for a line break)."""

    __slots__ = ("_items",)

    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]):
        self._items = tuple(ResponseHeaders(headers)._store.items())

    @classmethod
    def of(cls, response: HttpResponseBase, without: Iterable[str] = ("Content-Type",)) -> "FixedHeaders":
        """The headers of `response`, but `without`'s."""
        skipped = {name.lower() for name in without}
        return cls((name, value) for name, value in response.items() if name.lower() not in skipped)

    def __iter__(self):
        return (pair for _key, pair in self._items)

    def set(self, response: HttpResponseBase) -> None:
        """Each header on `response`, replacing one of the same name (``response[name] = value``)."""
        response.headers._store.update(self._items)

    def set_defaults(self, response: HttpResponseBase) -> None:
        """Each header that `response` does not have yet (``response.headers.setdefault``)."""
        store = response.headers._store
        for key, item in self._items:
            if key not in store:
                store[key] = item


def set_content_length(response: HttpResponseBase, length: int) -> None:
    """``Content-Length``: the decimal digits of an `int`, nothing in them for Django to check."""
    response.headers._store["content-length"] = ("Content-Length", str(int(length)))
