"""«Download credential report»: the contract's keys, valid and ended, signed by the bank's report key."""

import csv
import datetime
import io
import json
import subprocess
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apikeys import report, services
from apikeys.models import Api, KeyUsage
from audit.models import Action, AuditEvent

URL = reverse("apikeys:credential_report")


def download(client, fmt="csv"):
    response = client.post(URL, {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(data))
    [name, signature_name] = archive.namelist()
    assert signature_name == name + ".sig"
    assert response["Content-Disposition"] == f'attachment; filename="{name.rsplit(".", 1)[0]}.zip"'
    return name, archive.read(name), archive.read(signature_name)


@pytest.fixture
def contract(make_key, alice, bob, charlie):
    valid, _ = make_key(user=bob, note='=HYPERLINK("http://evil")')
    deleted, _ = make_key(user=bob, deleted=True, note="old ERP")
    expired, _ = make_key(user=bob, valid_until=timezone.localdate() - datetime.timedelta(days=3))
    new, _ = services.apikey_replace(
        key=valid, valid_until=valid.valid_until, overlap=datetime.timedelta(days=1), by=alice
    )
    KeyUsage.objects.create(
        api_key_id=new.pk,
        hour=timezone.now().replace(minute=0, second=0, microsecond=0),
        operation="ping",
        outcome="ok",
        count=42,
    )
    outsider, _ = make_key(user=charlie, api=Api.PRODUCTION, note="other contract")
    return {"valid": valid, "deleted": deleted, "expired": expired, "new": new, "outsider": outsider}


def test_the_csv_has_one_row_per_key_of_the_contract_and_nothing_else(alice_client, contract):
    name, data, _signature = download(alice_client)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert list(rows[0]) == report.COLUMNS
    by_id = {row["key_id"]: row for row in rows}
    assert set(by_id) == {contract[k].key_id for k in ("valid", "deleted", "expired", "new")}
    assert by_id[contract["deleted"].key_id]["state"] == "deleted"
    assert by_id[contract["deleted"].key_id]["deleted_by"] == "alice"
    assert by_id[contract["expired"].key_id]["state"] == "expired"
    assert by_id[contract["new"].key_id]["replaces"] == contract["valid"].key_id
    assert by_id[contract["valid"].key_id]["replaced_by"] == contract["new"].key_id
    assert by_id[contract["new"].key_id]["requests_30_days"] == "42"
    assert by_id[contract["valid"].key_id]["note"] == '\'=HYPERLINK("http://evil")'  # no formula
    assert name.startswith("credential-report_Demo-AG_") and name.endswith("_4-keys.csv")
    assert contract["valid"].secret_hash.encode() not in data


def test_the_json_says_contract_time_and_count(alice_client, contract):
    name, data, _signature = download(alice_client, "json")
    document = json.loads(data)
    assert document["contract"] == "Demo AG"
    assert document["row_count"] == len(document["keys"]) == 4
    assert datetime.datetime.fromisoformat(document["generated_at"])
    assert name.endswith("_4-keys.json")
    assert "other contract" not in data.decode()


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_that_a_spreadsheet_would_run_is_quoted(value):
    assert report.safe_cell(value) == "'" + value
    assert report.safe_cell("ERP " + value) == "ERP " + value


def test_the_signature_verifies_with_openssl_and_fails_after_one_changed_byte(alice_client, contract, tmp_path):
    public = Client().get("/.well-known/efinance-report-key.pem")
    assert public.status_code == 200 and public.content.startswith(b"-----BEGIN PUBLIC KEY-----")
    (tmp_path / "key.pem").write_bytes(public.content)
    for fmt in report.FORMATS:
        _name, data, signature = download(alice_client, fmt)
        assert len(signature) == 64
        (tmp_path / "report").write_bytes(data)
        (tmp_path / "report.sig").write_bytes(signature)
        command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", tmp_path / "key.pem", "-rawin"]
        command += ["-in", tmp_path / "report", "-sigfile", tmp_path / "report.sig"]
        assert subprocess.run(command, capture_output=True, check=False)  # noqa: S603 (openssl, our files).returncode == 0
        changed = bytearray(data)
        changed[len(changed) // 2] ^= 0x01
        (tmp_path / "report").write_bytes(bytes(changed))
        assert subprocess.run(command, capture_output=True, check=False)  # noqa: S603 (openssl, our files).returncode != 0


def test_each_download_is_on_activity(alice_client, contract, alice):
    name, _data, _signature = download(alice_client)
    entry = AuditEvent.objects.get(action=Action.REPORT_DOWNLOADED)
    assert (entry.actor, entry.organization_id, entry.details) == (
        alice,
        alice.organization_id,
        {"file": name, "rows": 4},
    )
    assert name in alice_client.get(reverse("apikeys:activity")).content.decode()


def test_a_standard_user_gets_403_and_nothing_is_recorded(bob_client, contract):
    assert bob_client.post(URL, {"format": "csv"}).status_code == 403
    assert bob_client.get(URL).status_code == 403
    assert not AuditEvent.objects.filter(action=Action.REPORT_DOWNLOADED).exists()


def test_the_page_offers_both_formats_and_refuses_another(alice_client, contract):
    page = alice_client.get(URL)
    assert page.status_code == 200
    assert b'value="csv"' in page.content and b'value="json"' in page.content
    assert alice_client.post(URL, {"format": "xlsx"}).status_code == 400


def test_the_form_needs_its_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(URL, {"format": "csv"}).status_code == 403


def test_user_kind_tells_a_technical_users_key_from_a_persons(alice_client, make_key, bob, abacus):
    persons, _ = make_key(user=bob)
    technical, _ = make_key(user=abacus)
    _name, data, _signature = download(alice_client)
    kinds = {row["key_id"]: row["user_kind"] for row in csv.DictReader(io.StringIO(data.decode("utf-8")))}
    assert kinds == {persons.key_id: "person", technical.key_id: "technical"}
