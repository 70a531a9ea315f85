"""The credential report of a contract: one row per key, valid and ended, signed by the bank.

The rows (`COLUMNS`) hold what an auditor asks about each key and never a secret or its hash. The
report is written to a temporary file as the keys are read (`iterator(chunk_size=…)`, a few hundred
rows in memory at a time), signed with the bank's report key in two reads of that file
(`efinance.lib.ed25519.sign_stream`, Ed25519 over the exact bytes), and sent as a zip of the report and
its detached signature (`<name>.sig`, the raw 64 bytes that `openssl pkeyutl -verify -rawin -sigfile`
reads), read from the file in chunks: 10,000 keys take the memory of 10 (`python -m tools.bench_report`).

CSV: UTF-8, a header row, every cell that a spreadsheet would take for a formula (starting with
= + - @, a tab or a carriage return) prefixed with ' (OWASP's CSV injection advice). JSON: one object
with the contract, the generation time, the keys and their count.
"""

import csv
import datetime
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from apikeys.models import ApiKey, KeyUsage
from efinance.lib import ed25519
from efinance.lib.report_key import signing_seed

COLUMNS = [
    "key_id",
    "api",
    "user",
    "user_kind",
    "note",
    "scopes",
    "created_at",
    "created_by",
    "approved_by",
    "valid_until",
    "state",
    "deleted_at",
    "deleted_by",
    "deleted_reason",
    "replaces",
    "replaced_by",
    "last_used_at",
    "last_used_ip",
    "networks",
    "requests_30_days",
]
FORMATS = ("csv", "json")
CHUNK_SIZE = 100  # keys read per query of the iterator (their objects are what the report holds in memory)
READ_SIZE = 64 * 1024  # bytes read from the file at a time
SPOOL_BYTES = 64 * 1024  # bytes of the report kept in memory before it goes to a temporary file
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _iso(value) -> str:
    return value.isoformat() if value else ""


def _keys(organization_id: int, now: datetime.datetime):
    since = now - datetime.timedelta(days=30)
    requests = (
        KeyUsage.objects.filter(api_key=OuterRef("pk"), hour__gte=since)
        .values("api_key")
        .annotate(total=Sum("count"))
        .values("total")
    )
    successor = ApiKey.objects.filter(replaces=OuterRef("pk")).values("key_id")[:1]
    return (
        ApiKey.objects.of_organization(organization_id)
        .select_related("user", "created_by", "approved_by", "revoked_by", "replaces")
        .annotate(
            requests_30_days=Coalesce(Subquery(requests, output_field=IntegerField()), 0),
            successor_key_id=Subquery(successor),
        )
        .defer("secret_hash", "form_nonce", "user__password", "created_by__password")
        .order_by("created_at", "id")
    )


def rows(organization_id: int, now: datetime.datetime | None = None) -> Iterator[dict[str, str | int]]:
    """The report's rows, oldest key first, read `CHUNK_SIZE` keys at a time."""
    now = now or timezone.now()
    for key in _keys(organization_id, now).iterator(chunk_size=CHUNK_SIZE):
        yield {
            "key_id": key.key_id,
            "api": key.api,
            "user": key.user.username,
            "user_kind": "technical" if key.user.is_technical else "person",
            "note": key.note,
            "scopes": "",  # scopes per key: once they exist
            "created_at": _iso(key.created_at),
            "created_by": key.created_by.username,
            "approved_by": key.approved_by.username if key.approved_by_id else "",
            "valid_until": _iso(key.valid_until),
            "state": key.status_at(now=now),
            "deleted_at": _iso(key.revoked_at),
            "deleted_by": key.revoked_by.username if key.revoked_by_id else "",
            "deleted_reason": key.revoke_reason,
            "replaces": key.replaces.key_id if key.replaces_id else "",
            "replaced_by": key.successor_key_id or "",
            "last_used_at": _iso(key.last_used_at),
            "last_used_ip": key.last_used_ip or "",
            "networks": " ".join(key.network_list),
            "requests_30_days": key.requests_30_days,
        }


def safe_cell(value) -> str:
    """A cell no spreadsheet takes for a formula: ' before = + - @, a tab or a carriage return."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_lines(report_rows) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in report_rows:
        writer.writerow([safe_cell(row[name]) for name in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


@dataclass
class Report:
    """A written, signed report: its file (read again to send it), name, row count and signature."""

    file: tempfile.SpooledTemporaryFile
    name: str
    rows: int
    signature: bytes

    def chunks(self) -> Iterator[bytes]:
        self.file.seek(0)
        while chunk := self.file.read(READ_SIZE):
            yield chunk

    def zip_name(self) -> str:
        return self.name.rsplit(".", 1)[0] + ".zip"

    def zip_chunks(self) -> Iterator[bytes]:
        """The zip of the report and `<name>.sig`, made as it is sent (a zip written to a stream)."""
        out = _Drain()
        try:
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                with archive.open(self.name, "w", force_zip64=True) as member:
                    for chunk in self.chunks():
                        member.write(chunk)
                        yield out.take()
                archive.writestr(self.name + ".sig", self.signature)
            yield out.take()
        finally:
            self.file.close()


class _Drain(io.RawIOBase):
    """A write-only stream whose bytes are taken out as they come (zipfile writes to it)."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def file_name(organization_name: str, at: datetime.datetime, count: int, fmt: str) -> str:
    """`credential-report_<contract>_<UTC time>_<count>-keys.<fmt>`: what, whose, when and how many."""
    contract = re.sub(r"[^A-Za-z0-9]+", "-", organization_name).strip("-") or "contract"
    return f"credential-report_{contract}_{at.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}_{count}-keys.{fmt}"


def write_report(organization, fmt: str, now: datetime.datetime | None = None) -> Report:
    """Write the contract's report in `fmt` to a temporary file and sign it."""
    now = now or timezone.now()
    # In memory up to `SPOOL_BYTES`, on disk beyond: a report of a few keys never touches the disk, and
    # one of 10,000 keys holds no more of itself in memory than that.
    file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed after sending)
    count = 0

    def counted():
        nonlocal count
        for row in rows(organization.pk, now):
            count += 1
            yield row

    if fmt == "csv":
        for line in _csv_lines(counted()):
            file.write(line.encode())
    else:
        head = {"contract": organization.name, "generated_at": now.isoformat()}
        file.write(json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "keys": [')
        for index, row in enumerate(counted()):
            file.write((", " if index else "").encode() + json.dumps(row, ensure_ascii=False).encode())
        file.write(f'], "row_count": {count}}}'.encode())
    report = Report(file=file, name=file_name(organization.name, now, count, fmt), rows=count, signature=b"")
    report.signature = ed25519.sign_stream(signing_seed(), report.chunks)
    return report
