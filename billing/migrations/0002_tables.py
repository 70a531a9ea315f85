"""The tables that apikeys made for the documents and the delivery counter take billing's names, and
their content types (and so their permissions and admin history) follow them to billing."""

from django.db import migrations

MOVED = ["document", "deliverycounter"]


def move_content_types(apps, schema_editor, source="apikeys", target="billing"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        if not ContentType.objects.using(db).filter(app_label=target, model=model).exists():
            ContentType.objects.using(db).filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="billing", target="apikeys")


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0001_initial"),
        ("apikeys", "0007_move_documents_to_billing"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="document", table=None),
        migrations.AlterModelTable(name="deliverycounter", table=None),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
