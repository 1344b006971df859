"""PostgreSQL only: the database itself refuses UPDATE and DELETE on audit entries.

Only a transaction that set `portal.audit_maintenance` to 'on' (the prune command, in
accounts.audit.prune) may delete rows. This guards against the application and casual
SQL; a database superuser can still drop the trigger, which the hash chain and its head
then reveal (`manage.py audit_verify`). TRUNCATE is left alone for test-database flushes.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION portal_audit_guard() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('portal.audit_maintenance', true), '') <> 'on' THEN
        RAISE EXCEPTION 'audit entries cannot be changed or deleted (%)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS portal_audit_guard ON accounts_auditentry;
CREATE TRIGGER portal_audit_guard BEFORE UPDATE OR DELETE ON accounts_auditentry
    FOR EACH ROW EXECUTE FUNCTION portal_audit_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS portal_audit_guard ON accounts_auditentry;
DROP FUNCTION IF EXISTS portal_audit_guard();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_start_chain_head_and_password_ages")]

    operations = [migrations.RunPython(forwards, backwards)]
