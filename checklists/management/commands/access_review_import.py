"""Import a system's account roster into a team's access-review campaign, for scripted use.

    manage.py access_review_import --team kopi-kita --system "CodePay merchant platform" \
        --period 2026-Q4 codepay-accounts.csv

Creates the draft campaign if the team has none for that system and quarter (kept by the
team's duty to review access to the system, created with the first campaign; --by names the
lead it is recorded for, otherwise the command line), then imports the roster (replacing an
earlier import of the draft). A campaign whose review has started is refused. On any error
nothing is written, not even the campaign.
"""

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from checklists import access_rosters
from checklists.models.access_reviews import AccessReview
from checklists.services import access_reviews as services
from portal.accounts.models import Team
from portal.accounts.permissions import has_team_perm


class Command(BaseCommand):
    help = "Import a CSV roster of a system's accounts into a team's access-review campaign."

    def add_arguments(self, parser):
        parser.add_argument("--team", required=True, help="the team's slug, e.g. kopi-kita")
        parser.add_argument("--system", required=True, help="e.g. “CodePay merchant platform”")
        parser.add_argument("--period", required=True, help="the quarter, e.g. 2026-Q4")
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            help="the lead of the team the campaign is recorded for (default: the command line)",
        )
        parser.add_argument("file", type=Path, help="the roster, CSV in UTF-8")

    def handle(
        self, *args, team: str, system: str, period: str, file: Path, by: str | None, **options
    ):
        found = Team.objects.filter(slug=team).first()
        if found is None:
            raise CommandError(f"No team has the slug {team!r}.")
        creator = self._creator(found, by)
        data = self._read(file)
        try:
            with transaction.atomic():
                review = (
                    AccessReview.objects.filter(
                        team=found, system__iexact=" ".join(system.split()), period=period
                    )
                    .select_related("team")
                    .first()
                )
                if review is None:
                    review = services.access_review_create(
                        team=found, system=system, period=period, by=creator
                    )
                result = services.roster_import(
                    review=review, data=data, name=file.name, by=creator
                )
        except ValidationError as error:
            raise CommandError(f"{file}: nothing imported.\n" + "\n".join(error.messages)) from None
        self.stdout.write(result.summary)

    def _creator(self, team: Team, username: str | None):
        if username is None:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or not has_team_perm(user, "manage_team", team):
            raise CommandError(f"{username!r} is not a lead of {team.name}.")
        return user

    def _read(self, file: Path) -> bytes:
        try:
            size = os.stat(file).st_size
            problem = access_rosters.size_problem(size, services.max_bytes())
            if problem:
                raise CommandError(f"{file}: nothing imported.\n{problem}")
            return file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: cannot be read: {error.strerror}.") from None
