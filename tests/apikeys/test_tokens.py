"""The token format, its checksum, and the keyed hash that is all the database keeps."""

import base64
import hashlib
import hmac

import pytest

from apikeys import tokens
from apikeys.models import Api, ApiKey

ALPHABET = "abcdefghijklmnopqrstuvwxyz234567_"


def _token(api=tokens.INTEGRATION):
    return tokens.build_token(api, tokens.new_key_id(), tokens.new_secret())


@pytest.mark.parametrize(("api", "prefix", "length"), [(Api.PRODUCTION, "bsprod", 80), (Api.INTEGRATION, "bsint", 79)])
def test_a_token_is_prefix_key_id_secret_and_checksum(api, prefix, length):
    token = _token(api)
    assert tokens.TOKEN_RE.match(token)
    assert len(token) == length
    got_prefix, key_id, secret, check = token.split("_")
    assert got_prefix == prefix
    assert len(key_id) == 12
    assert len(secret) == 52
    assert check == tokens.checksum(f"{prefix}_{key_id}_{secret}")
    parsed = tokens.parse_token(token)
    assert (parsed.api, parsed.key_id, parsed.secret) == (api, key_id, secret)


def test_the_secret_carries_at_least_256_random_bits():
    secret = tokens.new_secret()
    assert len(base64.b32decode(secret.upper() + "====")) * 8 >= 256
    assert len({tokens.new_secret() for _ in range(1000)}) == 1000
    assert len({tokens.new_key_id() for _ in range(1000)}) == 1000


def test_the_checksum_catches_every_single_character_change():
    token = _token()
    for position, original in enumerate(token):
        for replacement in ALPHABET:
            if replacement == original:
                continue
            typo = token[:position] + replacement + token[position + 1 :]
            with pytest.raises(tokens.MalformedToken):
                tokens.parse_token(typo)


@pytest.mark.parametrize(
    "raw",
    ["", "bsint", "bsint_", None, 42, b"bytes", "x" * 10_000, "bsprod_" + "a" * 73, "Bearer bsint_abc", "bsint__ _"],
)
def test_anything_else_is_malformed(raw):
    with pytest.raises(tokens.MalformedToken):
        tokens.parse_token(raw)


def test_a_truncated_or_padded_token_is_malformed():
    token = _token()
    for damaged in (token[:-1], token[1:], token + "a", " " + token, token + "\n", token.upper()):
        with pytest.raises(tokens.MalformedToken):
            tokens.parse_token(damaged)


def test_the_stored_hash_is_hmac_sha256_keyed_by_the_pepper(settings):
    settings.API_KEY_PEPPER = "pepper-for-this-test"
    secret = tokens.new_secret()
    expected = hmac.new(b"pepper-for-this-test", secret.encode(), hashlib.sha256).hexdigest()
    assert tokens.hash_secret(secret) == expected
    assert tokens.secret_matches(secret, expected)
    assert not tokens.secret_matches(tokens.new_secret(), expected)
    assert not tokens.secret_matches(secret, None)


def test_the_database_keeps_the_key_id_and_the_hash_only(make_key, bob, settings):
    key, token = make_key(user=bob)
    secret = tokens.parse_token(token).secret
    stored = ApiKey.objects.values().get(pk=key.pk)
    assert stored["secret_hash"] == hmac.new(settings.API_KEY_PEPPER.encode(), secret.encode(), "sha256").hexdigest()
    assert all(secret not in str(value) for value in stored.values())


def test_another_pepper_makes_every_key_unknown(make_key, bob, settings):
    _key, token = make_key(user=bob)
    assert ApiKey.objects.verify_token(token).ok
    settings.API_KEY_PEPPER = "a-new-pepper"
    assert ApiKey.objects.verify_token(token).failure == "unknown"
