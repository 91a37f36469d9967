import json
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from checklists.selectors.catalog import catalog_export_data


class Command(BaseCommand):
    help = "Export the catalog (providers, sources, equivalence groups, controls) as JSON or YAML."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("json", "yaml"), default="json")
        parser.add_argument("--out", type=Path, help="file to write (default: standard output)")

    def handle(self, *args, format: str, out: Path | None, **options):
        data = catalog_export_data()
        if format == "json":
            text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        else:
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        if out is None:
            self.stdout.write(text, ending="")
            return
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{out}: cannot be written: {exc}") from exc
        self.stderr.write(f"Exported {len(data['controls'])} controls to {out}.")
