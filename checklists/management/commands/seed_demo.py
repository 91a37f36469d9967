"""Fills the portal with demo teams and people, so `make run` shows a living portal."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from checklists import demo_access, demo_api, demo_data, demo_duties, demo_scale
from checklists.services.catalog import catalog_load
from portal.accounts import services as accounts
from portal.accounts import two_factor
from portal.accounts.models import Role, Team
from portal.accounts.permissions import AUDITORS_GROUP, REVIEWERS_GROUP
from portal.audit.models import AuditEvent
from portal.audit.services import checkpoint_create, log_verify

TEAM_NAMES = [
    "Kopi Kita Miniapp",
    "Ojek Cepat Payments",
    "Toko Seru Marketplace",
    "Bayar Mudah Wallet",
    "Pulsa Kilat",
    "Resto Rasa Ordering",
]
# People beyond the first teams only exist to give dashboards scale; they cannot sign in.
TEAMS_WITH_LOGINS = 3
# Backup codes printed next to a demo login; the rest stay unused.
DEMO_BACKUP_CODES_SHOWN = 3
MAX_AUDIT_EVENTS = 10_000_000


class Command(BaseCommand):
    help = "Create demo teams, members of each role, reviewers and auditors; print their logins."

    def add_arguments(self, parser):
        parser.add_argument("--teams", type=int, default=3, help="number of teams (default 3)")
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="give the demo logins new passwords and print them again",
        )
        parser.add_argument(
            "--audit-events",
            type=int,
            default=0,
            help="lengthen the audit trail to at least this many events with past sign-ins "
            "and evidence downloads (default 0: none added)",
        )

    def handle(self, *args, teams: int, reset_passwords: bool, audit_events: int, **options):
        if teams < 1 or teams > 5000:
            raise CommandError("--teams must be between 1 and 5000")
        if audit_events < 0 or audit_events > MAX_AUDIT_EVENTS:
            raise CommandError(f"--audit-events must be between 0 and {MAX_AUDIT_EVENTS}")
        logins: list[tuple[str, str, str]] = []
        pipeline_token = None
        with transaction.atomic():
            result = catalog_load()
            if result.changed:
                self.stdout.write(
                    f"Catalog: {len(result.created)} controls created, "
                    f"{len(result.updated)} updated."
                )
            reviewer = self._people(logins, reset_passwords)
            scale_teams = []
            for index in range(teams):
                team = self._team(index, logins, reset_passwords)
                if index < TEAMS_WITH_LOGINS:
                    demo_data.seed_team_checklists(team, reviewer, index)
                    demo_duties.seed_team_duties(team, index)
                    demo_access.seed_team_access_reviews(team, reviewer)
                    if index == 0:
                        self._pending_invitation(team)
                        pipeline_token = demo_api.seed_pipeline_token(team, renew=reset_passwords)
                else:
                    scale_teams.append(team)
            filled = demo_scale.seed_scale_teams(scale_teams, reviewer)
            if filled:
                self.stdout.write(f"Scale data: {filled} teams with a year of history.")
            self._lengthen_audit_trail(audit_events, scale_teams)
            second_factors = self._second_factors(logins)
            checkpoint_create()  # so `verify_audit_log` has a signed head to check against
        log_verify(how="After loading the demo data")  # the audit trail page shows a result
        if logins:
            self.stdout.write(
                "Demo logins (shown once; run seed_demo --reset-passwords for new ones):"
            )
            for username, role, password in logins:
                self.stdout.write(f"  {username:<20} {password:<20} {role}")
                if username in second_factors:
                    key, codes = second_factors[username]
                    self.stdout.write(f"      authenticator key: {key}")
                    self.stdout.write(
                        f"      backup codes: {', '.join(codes[:DEMO_BACKUP_CODES_SHOWN])}"
                    )
            if second_factors:
                self.stdout.write(
                    "Admins, reviewers and auditors sign in with two factors: add the key to an "
                    "authenticator app (time-based, 6 digits) and enter its code, or use a "
                    "backup code (each works once)."
                )
        else:
            self.stdout.write(
                "Demo data already present. Run "
                "`.venv/bin/python manage.py seed_demo --reset-passwords` for fresh demo logins."
            )
        if pipeline_token:
            self.stdout.write(
                f"API token of the service account {demo_api.SERVICE_ACCOUNT} of "
                f"{TEAM_NAMES[0]} (evidence-write; shown once, --reset-passwords makes a "
                f"new one):\n      {pipeline_token}"
            )

    def _lengthen_audit_trail(self, wanted: int, teams: list[Team]) -> None:
        missing = wanted - AuditEvent.objects.count()
        if missing <= 0:
            return
        User = get_user_model()
        readers = list(User.objects.filter(username__in=("reviewer", "auditor")).order_by("pk"))
        added = demo_scale.record_in_batches(demo_scale.history_entries(teams, readers, missing))
        self.stdout.write(f"Audit trail: {added} events of past reading added.")

    def _pending_invitation(self, team: Team) -> None:
        """One invitation waiting on the team page (its mail goes to the console)."""
        if not team.invitations.exists():
            lead = team.memberships.get(role=Role.LEAD).user
            accounts.invitation_create(
                team=team, email="newcomer@example.com", role=Role.MEMBER, by=lead
            )

    def _second_factors(self, logins) -> dict[str, tuple[str, list[str]]]:
        """For each printed login whose role requires two-factor sign-in: a new authenticator
        key (as typed into an app) and backup codes."""
        found = {}
        User = get_user_model()
        for username, _role, _password in logins:
            user = User.objects.get(username=username)
            if two_factor.must_use_two_factor(user):
                secret, codes = two_factor.two_factor_provision(user=user, reason="demo data")
                found[username] = (two_factor.secret_for_typing(secret), codes)
        return found

    def _user(
        self, username: str, logins, reset: bool, *, label: str, with_login: bool = True, **fields
    ):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com", **fields}
        )
        if with_login and (created or reset):
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
            logins.append((username, label, password))
        elif created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user, created

    def _people(self, logins, reset: bool) -> None:
        self._user("admin", logins, reset, label="portal admin", is_staff=True, is_superuser=True)
        reviewer, created = self._user("reviewer", logins, reset, label="security reviewer")
        if created:
            accounts.global_role_grant(user=reviewer, group_name=REVIEWERS_GROUP)
        auditor, created = self._user("auditor", logins, reset, label="auditor")
        if created:
            accounts.global_role_grant(user=auditor, group_name=AUDITORS_GROUP)
        return reviewer

    def _team(self, index: int, logins, reset: bool) -> Team:
        name = TEAM_NAMES[index] if index < len(TEAM_NAMES) else f"Merchant {index + 1:04d}"
        slug = name.lower().replace(" ", "-")
        team = Team.objects.filter(slug=slug).first() or accounts.team_create(name=name, slug=slug)
        with_login = index < TEAMS_WITH_LOGINS
        short = slug.split("-")[0] if index < len(TEAM_NAMES) else slug
        for username, role in (
            (f"{short}-lead", Role.LEAD),
            (f"{short}-dev", Role.MEMBER),
            (f"{short}-ops", Role.MEMBER),
        ):
            user, _ = self._user(
                username,
                logins,
                reset,
                label=f"{role.label.lower()} of {name}",
                with_login=with_login,
            )
            if not team.memberships.filter(user=user).exists():
                accounts.membership_add(team=team, user=user, role=role)
        return team
