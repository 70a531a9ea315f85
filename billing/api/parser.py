"""The API's own reading of a JSON body: strict where the standard library is lenient.

`json.loads` keeps the last of two equal keys in an object (``{"invoice_number": "A",
"invoice_number": "B"}`` is B), so that two readers of the same body — a proxy, an audit copy, this
API — could see two different documents. Here a key that appears twice in any object, at any depth,
refuses the whole body (`DuplicateKey`, answered as a 400 problem ``duplicate-key``).

`json.loads` also takes bytes in UTF-16 or UTF-32 and skips a UTF-8 byte-order mark, guessing the
encoding from the first bytes. RFC 8259 says JSON between systems is UTF-8 without a byte-order mark,
and a proxy or an audit copy that reads UTF-8 would see another text: such a body is refused
(`NotUtf8`, answered as a 400 problem ``not-utf-8``).
"""

import json

from ninja.parser import Parser


class DuplicateKey(ValueError):
    """A JSON object of the body has the same key twice."""

    def __init__(self, key: str):
        super().__init__(f"duplicate key {key!r}")
        self.key = key


class NotUtf8(ValueError):
    """The body is not UTF-8 text, or starts with a byte-order mark."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# The byte-order marks of UTF-32 before UTF-16: UTF-32 LE starts with UTF-16 LE's mark.
_BYTE_ORDER_MARKS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-bom"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def utf8_text(body: bytes) -> str:
    """`body` as UTF-8 text; `NotUtf8` for a byte-order mark, or for bytes that are not UTF-8 (UTF-16
    and UTF-32 text without a mark has NUL bytes, which UTF-8 JSON never has outside a string's escapes)."""
    for mark, reason in _BYTE_ORDER_MARKS:
        if body.startswith(mark):
            raise NotUtf8(reason)
    if b"\x00" in body:
        raise NotUtf8("utf-16-or-utf-32")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise NotUtf8("not-utf-8") from None


def _unique_pairs(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(key)
        result[key] = value
    return result


def loads(body: bytes | str):
    """`json.loads` that refuses duplicate keys in any object and bytes that are not UTF-8."""
    if isinstance(body, bytes | bytearray):
        body = utf8_text(bytes(body))
    return json.loads(body, object_pairs_hook=_unique_pairs)


class StrictJsonParser(Parser):
    def parse_body(self, request):
        return loads(request.body)
