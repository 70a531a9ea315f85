"""Documents and the delivery counter now belong to billing (billing 0001 took them over, on the same
tables): they leave apikeys' state; the database is not touched."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("apikeys", "0006_delivery_rate_limit"),
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="DeliveryCounter"),
                migrations.DeleteModel(name="Document"),
            ],
            database_operations=[],
        ),
    ]
