"""The audit trail is append-only, enforced by the database on PostgreSQL.

Triggers (PostgreSQL only; the RunPython checks `schema_editor.connection.vendor`):

* audit_auditevent and audit_auditcheckpoint reject every UPDATE, DELETE and TRUNCATE
  (statement-level, so even a statement that matches no row is refused).
* audit_auditchainhead may only move forward, to an event that exists with that hash;
  DELETE and TRUNCATE are refused.

TRUNCATE and test flushes. Django's `flush` (which pytest-django's transactional_db and
TransactionTestCase run after every test) empties all tables with one
`TRUNCATE t1, t2, ...` statement, which these triggers would refuse. We considered:

1. Not protecting TRUNCATE: then one careless `TRUNCATE` loses the whole trail.
2. Leaving the audit tables out of the flush (managed=False): events then leak between
   tests, and the trail would still be truncatable.
3. A test-only flush fixture in tests/audit: it only helps tests in that folder, and any
   transactional test elsewhere in the suite would fail on PostgreSQL.
4. (chosen) The TRUNCATE trigger lets TRUNCATE through only when the transaction has set
   `SET LOCAL audit.allow_truncate = 'on'`, and portal/audit/management/commands/flush.py
   (which overrides Django's flush for every caller, tests included) sets it only when
   Django's test environment is active and the database is a test database (name starting
   with "test_"). So every test flush works, and `manage.py flush` against a real database
   still fails, leaving the trail and everything else untouched. The trigger itself also
   checks that the database's name starts with "test_", so the flag opens nothing in a
   production database.

These triggers stop the application and people with its credentials from rewriting history
by accident or casually; the table owner can still disable them, which is why the chain
is hashed, checkpoints are signed, and production should run the app as a role that does
not own these tables.
"""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION audit_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND current_database() LIKE 'test\\_%'
       AND current_setting('audit.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME;
END;
$$;

CREATE OR REPLACE FUNCTION audit_chain_head_forward() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id = OLD.id
       AND NEW.last_sequence > OLD.last_sequence
       AND EXISTS (
           SELECT 1 FROM audit_auditevent
           WHERE sequence = NEW.last_sequence AND hash = NEW.last_hash
       ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit chain head only moves forward to an existing event';
END;
$$;

CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

CREATE TRIGGER audit_auditcheckpoint_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_auditcheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

CREATE TRIGGER audit_auditchainhead_no_delete
    BEFORE DELETE OR TRUNCATE ON audit_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

CREATE TRIGGER audit_auditchainhead_forward
    BEFORE UPDATE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_forward();
"""

REMOVE = """
DROP TRIGGER IF EXISTS audit_auditchainhead_forward ON audit_auditchainhead;
DROP TRIGGER IF EXISTS audit_auditchainhead_no_delete ON audit_auditchainhead;
DROP TRIGGER IF EXISTS audit_auditcheckpoint_append_only ON audit_auditcheckpoint;
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_chain_head_forward();
DROP FUNCTION IF EXISTS audit_reject_change();
"""


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


def create_chain_head(apps, schema_editor):
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    AuditChainHead.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"last_sequence": 0, "last_hash": "0" * 64}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_chain_head, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
