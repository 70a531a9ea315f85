"""The audit log now belongs to the audit app (its first migration took it over, on the same table):
it leaves apikeys' state; the database is not touched."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('apikeys', '0019_key_list_counts_index'),
        ('audit', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='AuditEvent')],
            database_operations=[],
        ),
    ]
