from django.core.management.base import BaseCommand, CommandError

from users.factors import staff
from users.models import User


class Command(BaseCommand):
    help = (
        "Print a one-time link with which a staff user of the bank sets up their first authenticator app "
        "(they open it while logged in; a stolen staff password alone cannot set one up). It works once, "
        "for SUPPORT_FACTOR_LINK_HOURS. Give it to the user over another channel than e-mail."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None or not user.is_staff:
            raise CommandError(f"No active staff user «{username}».")
        if not staff.needs_link(user):
            raise CommandError(f"«{username}» has a second factor already: they change it under «Security».")
        self.stdout.write(staff.link_for(user))
