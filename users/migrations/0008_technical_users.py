"""Technical users: a contract's identity that owns keys and never logs in.

The CHECK keeps a technical user from being a person (an organization, never staff, superuser or
Admin, no e-mail, an unusable password); the trigger `users_technical_user_fixed` keeps it what it
was made: an UPDATE that turns a person into a technical user or back, or moves a technical user to
another organization, fails with an IntegrityError, whatever writes it (a form, the admin, a shell).
"""

from django.db import migrations, models

MESSAGE = "users: a technical user stays technical and in its organization, a person stays a person"

SQLITE_UP = f"""
CREATE TRIGGER users_technical_user_fixed BEFORE UPDATE ON users_user
FOR EACH ROW WHEN NEW.is_technical IS NOT OLD.is_technical
    OR (OLD.is_technical AND NEW.organization_id IS NOT OLD.organization_id)
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS users_technical_user_fixed;"

POSTGRES_UP = f"""
CREATE FUNCTION users_technical_user_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.is_technical IS DISTINCT FROM OLD.is_technical
        OR (OLD.is_technical AND NEW.organization_id IS DISTINCT FROM OLD.organization_id)
    THEN
        RAISE EXCEPTION '{MESSAGE} (user %)', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER users_technical_user_fixed BEFORE UPDATE ON users_user
    FOR EACH ROW EXECUTE FUNCTION users_technical_user_fixed();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS users_technical_user_fixed ON users_user;
DROP FUNCTION IF EXISTS users_technical_user_fixed();
"""


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        sql = sql_by_vendor.get(schema_editor.connection.vendor)
        if sql is None:
            raise RuntimeError(f"no technical-user guard for {schema_editor.connection.vendor}")
        schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("users", "0007_factor_required_by_policy_or_reset"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="description",
            field=models.CharField(blank=True, db_default="", default="", max_length=500, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="user",
            name="is_technical",
            field=models.BooleanField(db_default=False, default=False, editable=False, verbose_name="technical user"),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("is_technical", False),
                    models.Q(
                        ("email", ""),
                        ("is_org_admin", False),
                        ("is_staff", False),
                        ("is_superuser", False),
                        ("organization__isnull", False),
                        ("password__startswith", "!"),
                    ),
                    _connector="OR",
                ),
                name="technical_user_is_no_person",
            ),
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
