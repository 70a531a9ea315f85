"""The audit log's table takes audit's name (ALTER TABLE … RENAME keeps its rows, constraints,
indexes and the append-only triggers), and its content type (and so its permissions and admin
history) follows it to audit."""

from django.db import migrations


def move_content_type(apps, schema_editor, source="apikeys", target="audit"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=target, model="auditevent").exists():
        ContentType.objects.using(db).filter(app_label=source, model="auditevent").update(app_label=target)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="audit", target="apikeys")


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
        ("apikeys", "0020_audit_log_leaves_apikeys"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="auditevent", table=None),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
