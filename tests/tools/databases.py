"""Which databases the tools' tests can expect figures of: SQLite always, PostgreSQL when the test run
has one (DATABASE_URL)."""

import os


def postgres_url() -> str:
    """The test run's PostgreSQL URL, or "" when it runs on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""
