"""The current code of a demo user's authenticator app, for a newcomer without a phone (demo only)."""

import base64

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from billing.management.commands.seed_demo import DEMO_TOTP_KEYS
from users.factors import crypto
from users.factors.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current code of a demo user's authenticator app (seed_demo's published key). DEBUG only."

    def add_arguments(self, parser):
        parser.add_argument("username", choices=sorted(DEMO_TOTP_KEYS))

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError("Refused: demo codes exist only with DEBUG on (a development checkout).")
        key = base64.b32decode(DEMO_TOTP_KEYS[username])
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None or crypto.decrypt(device.key_encrypted) != key:
            raise CommandError(f"«{username}» has no demo authenticator app: run seed_demo first.")
        self.stdout.write(f"{TOTP(key).token():06d}")
