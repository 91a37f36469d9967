from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from checklists.catalog_files import CatalogError
from checklists.services.catalog import catalog_load


class Command(BaseCommand):
    help = (
        "Load catalog files (default: fixtures/catalog/*.yaml) and the OWASP standards. "
        "Upserts by ref in one transaction; controls missing from their file are retired."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", type=Path, help="provider YAML, groups YAML or an export bundle"
        )

    def handle(self, *args, paths: list[Path], **options):
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        try:
            result = catalog_load(paths=paths or None)
        except CatalogError as error:
            raise CommandError(f"{error}. Nothing was loaded.") from error
        if not result.changed:
            self.stdout.write(f"Catalog unchanged ({result.unchanged} controls).")
            return
        self.stdout.write(
            f"Catalog loaded: {len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.retired)} retired, {result.unchanged} unchanged, "
            f"{result.standard_rows_written} OWASP rows written."
        )
        for ref in result.retired:
            self.stdout.write(f"  retired {ref}")
