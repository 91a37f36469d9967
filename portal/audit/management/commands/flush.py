"""Django's flush, able to empty the append-only audit tables of a *test* database.

On PostgreSQL the audit tables refuse TRUNCATE unless the transaction set
`audit.allow_truncate` (see portal/audit/migrations/0002_append_only.py for the reasoning).
This command sets it only while Django's test environment is active and the database is a
test database, which is exactly when TransactionTestCase and pytest-django's
transactional_db flush between tests. Anywhere else it is Django's flush unchanged, which the
audit triggers then refuse as a whole.
"""

from django.core import mail
from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.creation import TEST_DATABASE_PREFIX


def _is_test_database(connection) -> bool:
    test_environment = hasattr(mail, "outbox")  # set by django.test.utils.setup_test_environment
    return test_environment and str(connection.settings_dict["NAME"]).startswith(
        TEST_DATABASE_PREFIX
    )


class Command(flush.Command):
    def handle(self, **options):
        database = options.get("database") or DEFAULT_DB_ALIAS
        connection = connections[database]
        if connection.vendor != "postgresql" or not _is_test_database(connection):
            return super().handle(**options)
        with transaction.atomic(using=database):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL audit.allow_truncate = 'on'")
            return super().handle(**options)
