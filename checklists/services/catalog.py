"""Loading the catalog into the database: one transaction, upsert by ref, retire what vanished."""

from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from checklists.catalog_files import CatalogData, CatalogError, read_catalog
from checklists.models.catalog import (
    Control,
    EquivalenceGroup,
    OwaspReference,
    Provider,
    Source,
    SourceKind,
)
from checklists.standards import read_standards
from portal.audit import services as audit

CATALOG_DIR = Path(settings.BASE_DIR) / "fixtures" / "catalog"


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0
    references_written: int = 0
    other_changes: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.created or self.updated or self.retired or self.references_written or self.other_changes
        )


def default_catalog_paths() -> list[Path]:
    return sorted(CATALOG_DIR.glob("*.yaml"))


def _upsert(model, lookup: dict, values: dict) -> tuple[object, bool]:
    """Create or update one row; returns (row, whether anything was written)."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        return model.objects.create(**lookup, **values), True
    stale = {name: value for name, value in values.items() if getattr(row, name) != value}
    if stale:
        for name, value in stale.items():
            setattr(row, name, value)
        row.save(update_fields=list(stale))
    return row, bool(stale)


def catalog_load(*, paths: list[Path] | None = None, by=None) -> LoadResult:
    """Load catalog files (default: every file in fixtures/catalog) and the OWASP standards.

    Everything is checked before the first write; a bad file raises CatalogError and the
    database is left as it was.
    """
    paths = paths or default_catalog_paths()
    standard_sources, references = read_standards()
    codes = {reference.code for reference in references}
    data = read_catalog(paths, codes)
    result = LoadResult()
    with transaction.atomic():
        _load_standards(standard_sources, references, result)
        _check_group_members(data)
        _load_catalog(data, result)
        if result.changed:
            audit.record(
                "checklists.catalog.loaded",
                actor=by,
                changes={
                    "created": len(result.created),
                    "updated": result.updated,
                    "retired": result.retired,
                    "owasp_references_written": result.references_written,
                },
                reason="load_catalog " + " ".join(str(path) for path in paths),
            )
    return result


def _load_standards(standard_sources, references, result: LoadResult) -> None:
    for source in standard_sources:
        _, written = _upsert(
            Source,
            {"slug": source.slug},
            {
                "title": source.title,
                "kind": SourceKind.STANDARD,
                "provider": None,
                "version": source.version,
                "url": source.url,
                "seed": "",
                "attribution": source.attribution,
            },
        )
        result.other_changes += written
    existing = {row.code: row for row in OwaspReference.objects.all()}
    for position, reference in enumerate(references):
        values = {**asdict(reference), "position": position}
        row = existing.get(reference.code)
        if row is None:
            OwaspReference.objects.create(**values)
            result.references_written += 1
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
            result.references_written += 1


def _check_group_members(data: CatalogData) -> None:
    known = set(data.controls) | set(Control.objects.values_list("ref", flat=True))
    for group in data.groups.values():
        for member in group.members:
            if member not in known:
                raise CatalogError(
                    group.path, f"unknown control {member!r}", ref=f"group {group.slug}", field_name="members"
                )


def _load_catalog(data: CatalogData, result: LoadResult) -> None:
    providers = {}
    for provider in data.providers.values():
        providers[provider.slug], written = _upsert(
            Provider, {"slug": provider.slug}, {k: v for k, v in asdict(provider).items() if k != "slug"}
        )
        result.other_changes += written
    sources = {}
    for source in data.sources.values():
        sources[source.slug], written = _upsert(
            Source,
            {"slug": source.slug},
            {
                "title": source.title,
                "kind": SourceKind.PROVIDER_GUIDE,
                "provider": providers[source.provider],
                "version": source.version,
                "url": source.url,
                "seed": source.seed,
                "attribution": "",
            },
        )
        result.other_changes += written

    references = {row.code: row for row in OwaspReference.objects.all()}
    current = {
        control.ref: control
        for control in Control.objects.filter(source__slug__in=data.sources).prefetch_related("owasp")
    }
    for ref, item in data.controls.items():
        values = {
            "source": sources[item.source],
            "section": item.section,
            "title": item.title,
            "requirement": item.requirement,
            "category": item.category,
            "severity": item.severity,
            "severity_reason": item.severity_reason,
            "applies_to": item.applies_to,
            "evidence_guidance": item.evidence_guidance,
            "recurrence_days": item.recurrence_days,
            "retired": item.retired,
            "position": item.position,
        }
        control, written = _upsert(Control, {"ref": ref}, values)
        owasp = [references[code] for code in item.owasp]
        if ref not in current:
            control.owasp.set(owasp)
            result.created.append(ref)
            continue
        if {row.code for row in current[ref].owasp.all()} != set(item.owasp):
            control.owasp.set(owasp)
            written = True
        if written:
            result.updated.append(ref)
        else:
            result.unchanged += 1
    vanished = [ref for ref, control in current.items() if ref not in data.controls and not control.retired]
    Control.objects.filter(ref__in=vanished).update(retired=True)
    result.retired.extend(sorted(vanished))

    for group in data.groups.values():
        row, written = _upsert(
            EquivalenceGroup, {"slug": group.slug}, {"title": group.title, "description": group.description}
        )
        result.other_changes += written
        result.other_changes += Control.objects.filter(equivalence_group=row).exclude(ref__in=group.members).update(
            equivalence_group=None
        )
        result.other_changes += (
            Control.objects.filter(ref__in=group.members)
            .exclude(equivalence_group=row)
            .update(equivalence_group=row)
        )
