"""Helpers for tests that deliver for real: an SMTP server on the loopback (aiosmtpd) and a command of
manage.py in its own process on the test database (`start`, `finish`)."""

import asyncio
import os
import socket
import subprocess
import sys

from aiosmtpd.handlers import Message
from django.conf import settings
from django.db import connection


class Inbox(Message):
    """Keeps every message received; with `delay`, takes that many seconds to accept each one
    (`offered` counts the messages whose data a client began to send, accepted or not yet)."""

    def __init__(self, delay: float = 0):
        super().__init__()
        self.delay = delay
        self.messages = []
        self.offered = 0

    async def handle_DATA(self, server, session, envelope):
        self.offered += 1
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)

    def handle_message(self, message):
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start(*arguments: str, smtp_port: int, **env: str) -> subprocess.Popen:
    """`manage.py <arguments>` on the test database, its mail to the SMTP server at `smtp_port`."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        **env,
    }
    return subprocess.Popen(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    return out
