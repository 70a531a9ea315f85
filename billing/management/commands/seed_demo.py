import base64
import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from apikeys import activity, services
from apikeys.models import Api, ApiKey, Scope, SecurityPolicy
from apikeys.policy.rules import apikey_approve
from apikeys.technical.services import technical_user_create
from audit.models import ExposureSource, Failure
from users.factors.services import totp_enrol_known_key
from users.models import Organization, User
from users.services import ensure_support_group

DEFAULT_PASSWORD = "demo-2026-efinance"  # noqa: S105 (demo data only)
# The demo users with an authenticator app, and its key (base32, as an app takes it): demo data only,
# published here so that a newcomer without a phone can log in (`manage.py demo_totp_code USERNAME`
# prints the current code, with DEBUG only). Demo AG's users have none: they log in with the password.
DEMO_TOTP_KEYS = {
    "other-admin": "DEMOOTHERADMINTOTPKEYFORDEMOONLY",
    "support": "DEMOSUPPORTTOTPKEYFORTHEDEMOONLY",
}

USERS = [
    # username, first, last, organization, org admin, staff
    ("demo-admin", "Anna", "Admin", "Demo AG", True, False),
    ("demo-admin2", "Bruno", "Berger", "Demo AG", True, False),  # the second pair of eyes
    ("demo-user", "Dario", "Rossi", "Demo AG", False, False),
    ("demo-accounting", "Claudia", "Keller", "Demo AG", False, False),
    ("other-admin", "Olivier", "Dupont", "Other AG", True, False),
    ("support", "Sven", "Support", None, False, True),
]


class Command(BaseCommand):
    help = "Create the demo organizations, users and keys. Idempotent: running it again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password of every demo user")

    @transaction.atomic
    def handle(self, *args, password, **options):
        support_group = ensure_support_group()
        users = {}
        for username, first, last, org_name, org_admin, staff in USERS:
            organization = Organization.objects.get_or_create(name=org_name)[0] if org_name else None
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.ch",
                    "organization": organization,
                    "is_org_admin": org_admin,
                    "is_staff": staff,
                },
            )
            # The printed logins must work: a new user, or one whose password differs (--password),
            # gets `password`; one that already has it is left untouched (idempotent).
            if created or not user.check_password(password):
                user.set_password(password)
                user.save(update_fields=["password"])
            if staff:
                user.groups.add(support_group)
            users[username] = user
        for username, secret in DEMO_TOTP_KEYS.items():
            totp_enrol_known_key(user=users[username], key=base64.b32decode(secret))
        self._seed_keys(users)
        self._seed_policy(users)
        self._seed_technical_user(users)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  Admin user of Demo AG:   demo-admin / {password}")
        self.stdout.write(f"  Second Admin of Demo AG: demo-admin2 / {password} (approves demo-admin's keys)")
        self.stdout.write(f"  Standard users:          demo-user, demo-accounting / {password}")
        self.stdout.write(
            f"  Admin user of Other AG:  other-admin / {password} + code of key {DEMO_TOTP_KEYS['other-admin']}"
        )
        self.stdout.write(f"  Bank support (/support/): support / {password} + code of key {DEMO_TOTP_KEYS['support']}")
        self.stdout.write("  The current code (demo only): .venv/bin/python manage.py demo_totp_code other-admin")
        self.stdout.write(f"  Technical user of Demo AG: {self.TECHNICAL_USERNAME} (owns keys, never logs in)")

    def _seed_keys(self, users):
        admin, today = users["demo-admin"], timezone.localdate()
        if ApiKey.objects.filter(organization=admin.organization).exists():
            return
        # Tokens of demo keys are discarded: nobody ever sees them.
        services.apikey_create(
            user=users["demo-accounting"],
            api=Api.PRODUCTION,
            note="ERP invoicing",
            valid_until=today + datetime.timedelta(days=500),
            created_by=admin,
        )
        services.apikey_create(
            user=users["demo-user"],
            api=Api.INTEGRATION,
            note="ERP test system",
            valid_until=today + datetime.timedelta(days=90),
            created_by=admin,
        )
        services.apikey_create(
            user=users["demo-user"],
            api=Api.PRODUCTION,
            note="Old billing connector",
            valid_until=today - datetime.timedelta(days=30),
            created_by=admin,
            created_at=timezone.now() - datetime.timedelta(days=760),
        )
        deleted, _token = services.apikey_create(
            user=users["demo-accounting"],
            api=Api.INTEGRATION,
            note="Replaced test key",
            valid_until=today + datetime.timedelta(days=200),
            created_by=admin,
        )
        services.apikey_revoke(key=deleted, by=admin)
        # A key whose token GitHub found in a public repository: deleted, «reported as exposed».
        _exposed, exposed_token = services.apikey_create(
            user=users["demo-user"],
            api=Api.INTEGRATION,
            note="Pushed to GitHub by mistake",
            valid_until=today + datetime.timedelta(days=120),
            created_by=admin,
        )
        services.apikeys_revoke_exposed(
            credentials=[exposed_token],
            source=ExposureSource.GITHUB,
            urls={exposed_token: "https://github.com/demo-ag-example/erp-sync/blob/main/.env"},
            ip="140.82.115.10",
        )
        # The lifecycle a newcomer should see: a key that expires soon (its reminders are due, see
        # `send_expiry_reminders`) and one being replaced, which works on for a week beside its successor.
        services.apikey_create(
            user=users["demo-accounting"],
            api=Api.INTEGRATION,
            note="Webshop invoices",
            valid_until=today + datetime.timedelta(days=12),
            created_by=admin,
            created_at=timezone.now() - datetime.timedelta(days=700),
        )
        rolling, _token = services.apikey_create(
            user=users["demo-user"],
            api=Api.PRODUCTION,
            note="Payroll connector",
            valid_until=today + datetime.timedelta(days=40),
            created_by=admin,
            created_at=timezone.now() - datetime.timedelta(days=690),
        )
        services.apikey_replace(
            key=rolling, valid_until=today + datetime.timedelta(days=365), overlap=datetime.timedelta(days=7), by=admin
        )
        # A forgotten test system still calls with the deleted key: the «Activity» page counts it.
        for _call in range(3):
            activity.record_auth_failure(key_id=deleted.key_id, reason=Failure.DELETED, ip="192.0.2.10")

    PENDING_NOTE = "New ERP connector (waits for approval)"
    NETWORK_NOTE = "Office network only"
    DEMO_NETWORK = "192.0.2.0/24"  # TEST-NET-1 (RFC 5737): documentation addresses

    def _seed_policy(self, users):
        """The security policy of Demo AG: four-eyes on, so that demo-admin2 can approve the
        pending production key of demo-admin; and an integration key limited to a network."""
        admin, today = users["demo-admin"], timezone.localdate()
        organization = admin.organization
        SecurityPolicy.objects.get_or_create(organization=organization, defaults={"four_eyes": True})
        keys = ApiKey.objects.filter(organization=organization)
        if not keys.filter(note=self.PENDING_NOTE).exists():
            services.apikey_create(
                user=users["demo-accounting"],
                api=Api.PRODUCTION,
                note=self.PENDING_NOTE,
                valid_until=today + datetime.timedelta(days=180),
                created_by=admin,
            )
        if not keys.filter(note=self.NETWORK_NOTE).exists():
            services.apikey_create(
                user=users["demo-user"],
                api=Api.INTEGRATION,
                note=self.NETWORK_NOTE,
                valid_until=today + datetime.timedelta(days=180),
                created_by=admin,
                allowed_networks=self.DEMO_NETWORK,
            )

    TECHNICAL_USERNAME = "erp-abacus"

    def _seed_technical_user(self, users):
        """«ERP Abacus», the technical user of Demo AG, so that a newcomer sees keys of the contract:
        a read-only key for the customer integration, and a production key that delivers (approved by
        demo-admin2 under the demo's four-eyes)."""
        admin, today = users["demo-admin"], timezone.localdate()
        if User.objects.filter(username=self.TECHNICAL_USERNAME).exists():
            return
        abacus = technical_user_create(
            organization=admin.organization,
            name="ERP Abacus",
            description="Abacus ERP: reads the invoices of the test system, delivers the real ones.",
            by=admin,
            username=self.TECHNICAL_USERNAME,
        )
        services.apikey_create(
            user=abacus,
            api=Api.INTEGRATION,
            note="Abacus test system (reads only)",
            valid_until=today + datetime.timedelta(days=365),
            created_by=admin,
            scopes=[Scope.DOCUMENTS_READ],
        )
        delivering, _token = services.apikey_create(
            user=abacus,
            api=Api.PRODUCTION,
            note="Abacus invoice delivery",
            valid_until=today + datetime.timedelta(days=365),
            created_by=admin,
            scopes=[Scope.DOCUMENTS_WRITE],
        )
        if delivering.is_pending_approval:
            apikey_approve(key=delivering, by=users["demo-admin2"])
