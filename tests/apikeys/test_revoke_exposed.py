"""`apikeys_revoke_exposed`: a reported token deletes its valid key for good, with no actor, the reason
«reported as exposed», an audit entry with the reporter's address and where, one e-mail to each person
concerned; everything else changes nothing, and the work does not grow with the number of tokens."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from apikeys import tokens
from apikeys.models import EXPOSED_REASON, Api, ApiKey, Status
from apikeys.services import apikeys_revoke_exposed
from audit.models import Action, AuditEvent, ExposureSource
from tests.conftest import flip_last, statements_run
from users.mail import send_pending
from users.models import OutboxMessage, User


def _no_mail_yet() -> None:
    """Forget the creation notices of the keys made so far: the tests read what a report sends."""
    OutboxMessage.objects.all().delete()


def _report(credentials, **kwargs):
    kwargs.setdefault("source", ExposureSource.REPORT)
    kwargs.setdefault("ip", "203.0.113.9")
    return apikeys_revoke_exposed(credentials=credentials, **kwargs)


def test_a_reported_token_deletes_its_key_for_good_without_an_actor(make_key, bob):
    key, token = make_key(user=bob)
    result = _report([token])
    key.refresh_from_db()
    assert key.status == Status.DELETED
    assert (key.revoked_by, key.revoke_reason, key.reported_exposed) == (None, EXPOSED_REASON, True)
    assert result.matched == {token}
    assert result.revoked == (key.key_id,)
    assert not ApiKey.objects.verify_token(token).ok


def test_the_audit_log_says_when_why_who_reported_and_where(make_key, bob):
    key, token = make_key(user=bob)
    now = timezone.now()
    _report([token], source=ExposureSource.GITHUB, urls={token: "https://github.com/acme/erp/blob/abc/.env"}, now=now)
    entry = AuditEvent.objects.get(action=Action.KEY_EXPOSED)
    assert (entry.key_id, entry.subject, entry.actor) == (key.key_id, bob, None)
    assert entry.organization_id == key.organization_id
    assert entry.at == now
    assert entry.ip == "203.0.113.9"
    assert entry.reason == EXPOSED_REASON
    assert entry.exposure_source_display == "found by GitHub secret scanning"
    assert entry.exposure_url == "https://github.com/acme/erp/blob/abc/.env"


def test_the_keys_user_and_the_active_admins_get_one_e_mail_each(make_key, alice, bob, charlie, demo_ag):
    gone = User.objects.create_user("gone-admin", email="gone@demo.example", organization=demo_ag, is_org_admin=True)
    gone.is_active = False
    gone.save()
    User.objects.create_user("carla", email="carla@demo.example", organization=demo_ag)  # standard, not concerned
    first, first_token = make_key(user=bob)
    second, second_token = make_key(user=bob, api=Api.PRODUCTION)
    _other, _charlie_token = make_key(user=charlie, created_by=charlie)
    _no_mail_yet()
    _report([first_token, second_token])
    assert send_pending() == (2, 0)
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {alice.email, bob.email}  # not charlie, not the inactive admin, not carla
    for message in by_recipient.values():
        assert first.key_id in message.body and second.key_id in message.body
        assert first_token not in message.body and second_token not in message.body
        assert first_token not in message.alternatives[0][0]
        assert "reported as exposed" in message.body
        assert "reported to the public revocation endpoint" in message.body
    assert "«Replace»" in by_recipient[alice.email].body
    assert "/administration/api-keys/" in by_recipient[alice.email].body
    assert "Ask Alice Tester for a new key" in by_recipient[bob.email].body  # the contract's Admin user, by name
    assert "/administration/" not in by_recipient[bob.email].body


def test_the_e_mail_is_in_the_recipients_language(make_key, alice, bob):
    alice.language = "it"
    alice.save()
    _key, token = make_key(user=bob)
    _no_mail_yet()
    _report([token])
    send_pending()
    italian = next(message for message in mail.outbox if message.to == [alice.email])
    assert "Chiudere" not in italian.subject
    assert "esposta" in italian.subject


def test_a_user_who_left_the_organization_is_not_told(make_key, bob, other_ag, alice):
    _key, token = make_key(user=bob)
    User.objects.filter(pk=bob.pk).update(organization=other_ag)
    _no_mail_yet()
    _report([token])
    send_pending()
    assert [message.to for message in mail.outbox] == [[alice.email]]


@pytest.mark.parametrize("case", ["wrong_secret", "unknown", "junk", "checksum", "expired", "deleted"])
def test_anything_else_changes_nothing(make_key, bob, case):
    valid, token = make_key(user=bob)
    body = token.rsplit("_", 2)[0]
    wrong_secret = tokens.build_token(Api.INTEGRATION, valid.key_id, tokens.new_secret())
    _expired, expired_token = make_key(user=bob, valid_until=timezone.localdate() - datetime.timedelta(days=1))
    _deleted, deleted_token = make_key(user=bob, deleted=True)
    reported = {
        "wrong_secret": wrong_secret,
        "unknown": tokens.build_token(Api.INTEGRATION, tokens.new_key_id(), tokens.new_secret()),
        "junk": f"{body}' OR 1=1 --",
        "checksum": flip_last(token),
        "expired": expired_token,
        "deleted": deleted_token,
    }[case]
    before = {key.pk: (key.revoked_at, key.revoked_by_id, key.revoke_reason) for key in ApiKey.objects.all()}
    _no_mail_yet()
    result = _report([reported])
    after = {key.pk: (key.revoked_at, key.revoked_by_id, key.revoke_reason) for key in ApiKey.objects.all()}
    assert after == before
    assert result.revoked == ()
    assert result.matched == ({reported} if case in ("expired", "deleted") else set())  # ours, but ended
    assert not AuditEvent.objects.filter(action=Action.KEY_EXPOSED).exists()
    assert not OutboxMessage.objects.exists()
    assert ApiKey.objects.verify_token(token).ok


def test_a_token_for_the_other_api_with_a_right_checksum_does_not_match(make_key, bob):
    key, token = make_key(user=bob, api=Api.INTEGRATION)
    secret = tokens.parse_token(token).secret
    as_production = tokens.build_token(Api.PRODUCTION, key.key_id, secret)
    assert _report([as_production]).matched == set()
    key.refresh_from_db()
    assert key.status == Status.VALID


def test_every_well_formed_token_costs_one_hmac_whether_its_key_exists_or_not(make_key, bob, monkeypatch):
    key, _token = make_key(user=bob)
    calls = []
    real = tokens.secret_matches
    monkeypatch.setattr(tokens, "secret_matches", lambda secret, stored: calls.append(stored) or real(secret, stored))
    existing = tokens.build_token(Api.INTEGRATION, key.key_id, tokens.new_secret())
    unknown = tokens.build_token(Api.INTEGRATION, tokens.new_key_id(), tokens.new_secret())
    _report([existing, unknown, "junk"])
    assert len(calls) == 2
    assert calls.count(None) == 1  # the unknown key ID is compared with a dummy, as in verify_token


def _tokens_of_one_user(make_key, user, count):
    return [make_key(user=user)[1] for _ in range(count)]


def test_the_queries_do_not_grow_with_the_number_of_tokens(make_key, bob):
    one = _tokens_of_one_user(make_key, bob, 1)
    many = _tokens_of_one_user(make_key, bob, 60)
    junk = [tokens.build_token(Api.INTEGRATION, tokens.new_key_id(), tokens.new_secret()) for _ in range(1000)]
    with statements_run() as for_one:
        _report(one)
    with statements_run() as for_many:
        result = _report([*many, *junk[:940]])
    assert len(result.revoked) == 60
    assert len(for_many) == len(for_one), (for_one, for_many)
    with statements_run() as for_junk:
        _report(junk)
    with statements_run() as for_a_few_junk:
        _report(junk[:3])
    assert len(for_junk) == len(for_a_few_junk)


def test_only_a_reported_exposure_may_be_a_deletion_without_an_actor(make_key, bob):
    key, _token = make_key(user=bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now(), revoked_by=None, revoke_reason="no one")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now(), revoked_by=None, revoke_reason="")
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now(), revoked_by=None, revoke_reason=EXPOSED_REASON)


def test_an_exposed_deletion_is_final_like_any_other(make_key, bob, alice):
    key, token = make_key(user=bob)
    _report([token])
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=None, revoke_reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.filter(pk=key.pk).update(revoked_by=alice)


def test_support_sees_who_deleted_it_nobody_and_why(make_key, bob, sam_client, charlie_client):
    key, token = make_key(user=bob)
    _report([token])
    html = sam_client.get("/support/apikeys/apikey/", {"q": key.key_id}).content.decode()
    assert "nobody: reported as exposed" in html
    log = sam_client.get("/support/audit/auditevent/", {"q": key.key_id}).content.decode()
    assert "Key deleted: reported as exposed" in log
    outsider = charlie_client.get("/administration/activity/").content.decode()
    assert key.key_id not in outsider
