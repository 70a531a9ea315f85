from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billing import secret_scanning


class Command(BaseCommand):
    help = (
        "Fetch GitHub's secret-scanning public keys into SECRET_SCANNING_GITHUB_KEYS_FILE (atomic replace). "
        "A failed or malformed download leaves the file as it was and exits non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default=secret_scanning.GITHUB_KEYS_URL, help="where GitHub publishes the keys (https:// only)"
        )
        parser.add_argument("--file", default=None, help="the file to write (default: the setting)")
        parser.add_argument("--timeout", type=float, default=10, help="seconds to wait for the download")

    def handle(self, *args, url, file, timeout, **options):
        path = file or settings.SECRET_SCANNING_GITHUB_KEYS_FILE
        try:
            data = secret_scanning.fetch_keys_document(url, timeout=timeout)
        except (OSError, secret_scanning.KeysDocumentError) as error:
            raise CommandError(f"GitHub's keys were not refreshed ({url}): {error}") from error
        keys = secret_scanning.parse_keys_document(data)
        target = secret_scanning.write_keys_file(data, path)
        self.stdout.write(f"{len(keys)} GitHub secret-scanning key(s) written to {target}")
