"""What an attacker who guesses tokens sends: a wrong secret on a key ID that exists and a key ID that
does not, both well-formed (the checksum right), and the Bearer request that carries one."""

from django.test import Client

from apikeys.tokens import build_token, new_key_id, parse_token
from tests.conftest import flip_last

PING = "/api/billing-int/v1/ping"


def wrong_and_unknown(token: str) -> tuple[str, str]:
    """A wrong secret on `token`'s key ID and an unknown key ID with `token`'s secret."""
    parsed = parse_token(token)
    return build_token(parsed.api, parsed.key_id, flip_last(parsed.secret)), build_token(
        parsed.api, new_key_id(), parsed.secret
    )


def bearer(token: str, ip: str = "203.0.113.9"):
    return Client().get(PING, HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=ip)
