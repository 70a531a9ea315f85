"""detect-secrets plugin for e-finance Billing Solutions API tokens (https://github.com/Yelp/detect-secrets).

    detect-secrets scan --plugin deploy/secret-scanning/detect_secrets_plugin.py [files]

Finds tokens by the published pattern (docs/token-format.json) and reports only those whose CRC-32
checksum is right, so that a look-alike or a token with a typo is not reported. Self-contained: it
imports nothing of the project (no Django), only detect-secrets and the standard library.
"""

import re
import zlib

from detect_secrets.plugins.base import RegexBasedDetector

# The same text as apikeys.tokens.TOKEN_SEARCH_RE.pattern (tests/apikeys/test_token_format_published.py checks it).
TOKEN_PATTERN = r"(?:bsprod|bsint)_[a-z2-7]{12}_[a-z2-7]{52}_[a-z2-7]{7}"  # noqa: S105 (a pattern)
_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def checksum_ok(token: str) -> bool:
    """The last 7 characters are the CRC-32 of everything before the last underscore, in base32."""
    body, _sep, given = token.rpartition("_")
    value = zlib.crc32(body.encode("ascii"))
    return "".join(_B32[(value >> shift) & 31] for shift in range(30, -1, -5)) == given


class EfinanceBillingSolutionsTokenDetector(RegexBasedDetector):
    """e-finance Billing Solutions API token (bsprod_ production, bsint_ customer integration)."""

    secret_type = "e-finance Billing Solutions API token"  # noqa: S105 (a name, not a secret)
    denylist = (re.compile(TOKEN_PATTERN),)

    def analyze_string(self, string: str):
        for match in super().analyze_string(string):
            if checksum_ok(match):
                yield match
