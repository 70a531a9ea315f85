"""The API's own reading of a JSON body: strict where the standard library is lenient.

`json.loads` keeps the last of two equal keys in an object (``{"invoice_number": "A",
"invoice_number": "B"}`` is B), so that two readers of the same body — a proxy, an audit copy, this
API — could see two different documents. Here a key that appears twice in any object, at any depth,
refuses the whole body (`DuplicateKey`, answered as a 400 problem ``duplicate-key``).
"""

import json

from ninja.parser import Parser


class DuplicateKey(ValueError):
    """A JSON object of the body has the same key twice."""

    def __init__(self, key: str):
        super().__init__(f"duplicate key {key!r}")
        self.key = key


def _unique_pairs(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(key)
        result[key] = value
    return result


def loads(body: bytes | str):
    """`json.loads` that refuses duplicate keys in any object."""
    return json.loads(body, object_pairs_hook=_unique_pairs)


class StrictJsonParser(Parser):
    def parse_body(self, request):
        return loads(request.body)
