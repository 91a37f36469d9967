"""Export the control catalog, or a team's checklist for a quarter, as OSCAL JSON.

    manage.py export_oscal catalog --output catalog.json
    manage.py export_oscal results --team kopi-kita --period 2026-Q4 --output kopi-2026-Q4.json

The file is written only once the document is complete and has read back as valid OSCAL;
an unknown team, a malformed period, or a quarter without a checklist writes nothing. An
export of a team's results is recorded in the audit trail.
"""

import os
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from checklists.oscal import services
from checklists.oscal.catalog import catalog_document
from checklists.oscal.documents import OscalDocument
from portal.accounts.models import Team


class Command(BaseCommand):
    help = (
        "Export the catalog as an OSCAL catalog, or a team's checklist as OSCAL assessment results."
    )

    def add_arguments(self, parser):
        which = parser.add_subparsers(dest="document", required=True, metavar="{catalog,results}")
        catalog = which.add_parser("catalog", help="the control catalog as an OSCAL catalog")
        catalog.add_argument("--output", required=True, type=Path, help="the JSON file to write")
        results = which.add_parser(
            "results", help="a team's checklist for a quarter as OSCAL assessment results"
        )
        results.add_argument("--team", required=True, help="the team's slug")
        results.add_argument("--period", required=True, help="a quarter, e.g. 2026-Q4")
        results.add_argument("--output", required=True, type=Path, help="the JSON file to write")

    def handle(self, *args, document: str, output: Path | str, **options):
        output = Path(output)
        if not output.parent.is_dir():
            raise CommandError(f"The folder of --output ({output.parent}) does not exist.")
        if document == "catalog":
            produced = catalog_document()
            what = "the OSCAL catalog"
        else:
            produced = self._results(options["team"], options["period"])
            what = f"the OSCAL assessment results of {options['team']} for {options['period']}"
        self._write(output, produced)
        self.stdout.write(
            f"Wrote {output}: {what}, {produced.size} bytes, SHA-256 {produced.sha256}."
        )

    def _results(self, slug: str, period: str) -> OscalDocument:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            raise CommandError(f"No team has the slug {slug!r}.")
        try:
            checklist = services.team_checklist(team=team, period=period)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        return services.assessment_results_export(checklist=checklist)

    def _write(self, output: Path, document: OscalDocument) -> None:
        fd, temp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(document.data)
            os.replace(temp, output)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
