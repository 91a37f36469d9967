"""`manage.py changepassword`, recorded in the audit trail like every other password change.

The portal app is listed before django.contrib.auth, so this command replaces Django's."""

import getpass

from django.contrib.auth.management.commands import changepassword
from django.db import transaction

from portal.audit import services as audit


class Command(changepassword.Command):
    def handle(self, *args, **options):
        with transaction.atomic(using=options["database"]):
            done = super().handle(*args, **options)
            user = changepassword.UserModel._default_manager.using(options["database"]).get(
                **{
                    changepassword.UserModel.USERNAME_FIELD: options["username"]
                    or getpass.getuser()
                }
            )
            audit.record(
                "accounts.user.password_changed",
                obj=user,
                reason="Changed on the server with manage.py changepassword",
            )
        return done
