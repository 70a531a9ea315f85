"""Look-alike names (UTS #39, «Unicode Security Mechanisms»): `confusable` and `mixed_scripts`.

Two strings are confusable when their skeletons are equal (UTS #39 section 4): each is put in NFD,
every character is replaced by its prototype from Unicode's confusables.txt (kept compact in
``users/confusables.txt``, version 13.0.0), and the result is put in NFD again. User identifications
are unique whatever their case, so the case-folded strings are compared too: «dеmo-admin2» with a
Cyrillic «е», «demo-admin2» and «DEMO-ADMIN2» are confusable. A string mixes scripts when its letters
belong to more than one script (Common and Inherited, digits and punctuation, go with any; Han with
Hiragana and Katakana, or with Hangul or Bopomofo, count as one, as UTS #39's augmented script sets
say). The scripts come from confusable-homoglyphs, a maintained library whose data has no prototypes
to make a skeleton of.
"""

import functools
import unicodedata
from pathlib import Path

from confusable_homoglyphs import categories

TABLE = Path(__file__).with_name("confusables.txt")
ANY_SCRIPT = frozenset({"COMMON", "INHERITED"})
# UTS #39's augmented script sets: Japanese, Korean and Chinese writing mix these on purpose.
ONE_WRITING = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "HANGUL"}),
    frozenset({"HAN", "BOPOMOFO"}),
)


@functools.cache
def prototypes() -> dict[str, str]:
    table = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            source, prototype = line.split("\t")
            table[chr(int(source, 16))] = "".join(chr(int(point, 16)) for point in prototype.split())
    return table


def skeleton(text: str) -> str:
    """The UTS #39 skeleton of `text` (equal skeletons: confusable strings)."""
    table = prototypes()
    mapped = "".join(table.get(char, char) for char in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def skeletons(text: str) -> frozenset[str]:
    """The skeletons of `text` as written and case-folded: two strings are confusable when these share
    one («Il1» and «ll1» as written, «DEMO-ADMIN2» and «dеmo-admin2» case-folded)."""
    return frozenset({skeleton(text), skeleton(text.casefold())})


def confusable(first: str, second: str) -> bool:
    return bool(skeletons(first) & skeletons(second))


def scripts(text: str) -> set[str]:
    """The scripts of the letters of `text` (those of Common and Inherited left out)."""
    return categories.unique_aliases(text) - ANY_SCRIPT


def mixed_scripts(text: str) -> set[str]:
    """The scripts of `text` when it mixes them (empty when it does not)."""
    found = scripts(text)
    if len(found) <= 1 or any(found <= allowed for allowed in ONE_WRITING):
        return set()
    return found
