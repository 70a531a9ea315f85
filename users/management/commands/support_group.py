from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from users.models import User
from users.services import SUPPORT_GROUP, ensure_support_group


class Command(BaseCommand):
    help = (
        f"Create or update the «{SUPPORT_GROUP}» group with exactly the permissions that the bank's support "
        "staff need in the Django admin. Idempotent: run it after every migrate. --add puts existing users in it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--add",
            nargs="+",
            default=[],
            metavar="USERNAME",
            help="make these users (of no organization) staff and members of the group",
        )

    @transaction.atomic
    def handle(self, *args, add, **options):
        group = ensure_support_group()
        self.stdout.write(f"Group «{group.name}»: {group.permissions.count()} permissions.")
        for username in add:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user «{username}».")
            if user.organization_id is not None:
                raise CommandError(f"«{username}» belongs to an e-finance contract; support staff belong to none.")
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(group)
            self.stdout.write(f"«{username}» is support staff.")
