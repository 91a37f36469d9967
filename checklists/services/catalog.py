"""Loading the catalog into the database: one transaction, upsert by ref, retire what vanished.

Rows are compared in memory and written in bulk, so a load costs a few dozen queries
whatever the catalog's size.
"""

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import models, transaction

from checklists.catalog_files import CatalogData, CatalogError, read_catalog
from checklists.models.catalog import (
    Category,
    Control,
    EquivalenceGroup,
    OwaspReference,
    OwaspStandard,
    Provider,
    Severity,
    Source,
    SourceKind,
)
from checklists.standards import read_standards
from portal.audit import services as audit

CATALOG_DIR = Path(settings.BASE_DIR) / "fixtures" / "catalog"
ASVS_SOURCE_SLUG = "owasp-asvs-4.0.3"
ASVS_CHAPTER_CATEGORIES = {
    "V1": Category.SECURE_DEVELOPMENT,
    "V2": Category.AUTHENTICATION,
    "V3": Category.SESSION_MANAGEMENT,
    "V4": Category.AUTHORIZATION,
    "V5": Category.SECURE_DEVELOPMENT,
    "V6": Category.DATA_AT_REST,
    "V7": Category.LOGGING,
    "V8": Category.PRIVACY,
    "V9": Category.TRANSPORT,
    "V10": Category.SECURE_DEVELOPMENT,
    "V11": Category.ANTI_FRAUD,
    "V12": Category.SECURE_DEVELOPMENT,
    "V13": Category.SECURE_DEVELOPMENT,
    "V14": Category.OPERATIONS,
}
ASVS_LEVEL_SEVERITY = {1: Severity.HIGH, 2: Severity.MEDIUM, 3: Severity.LOW}
ASVS_EVIDENCE = (
    "The verification's result: a test, scan or review record, or the configuration or code "
    "that meets it."
)


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0
    standard_rows_written: int = 0
    other_changes: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.updated
            or self.retired
            or self.standard_rows_written
            or self.other_changes
        )


def default_catalog_paths() -> list[Path]:
    return sorted(CATALOG_DIR.glob("*.yaml"))


def catalog_load(*, paths: list[Path] | None = None, by=None) -> LoadResult:
    """Load catalog files (default: every file in fixtures/catalog) and the OWASP standards.

    Everything is checked before the first write; a bad file raises CatalogError and the
    database is left as it was.
    """
    paths = paths or default_catalog_paths()
    standard_sources, references = read_standards()
    data = read_catalog(paths, {reference.code for reference in references})
    result = LoadResult()
    with transaction.atomic():
        _check_group_members(data)
        for source in standard_sources:
            values = {**_without(asdict(source), "standard", "slug"), "kind": SourceKind.STANDARD}
            values.update(provider_id=None, seed="")
            result.standard_rows_written += _sync(Source, "slug", {source.slug: values}).written
        result.standard_rows_written += _sync(
            OwaspReference,
            "code",
            {
                ref.code: {**_without(asdict(ref), "code"), "position": i}
                for i, ref in enumerate(references)
            },
        ).written
        asvs = _sync_controls(
            _asvs_baseline(), scope=Control.objects.filter(source__slug=ASVS_SOURCE_SLUG)
        )
        result.standard_rows_written += len(asvs.created) + len(asvs.updated)
        _load_catalog(data, result)
        if result.changed:
            audit.record(
                "checklists.catalog.loaded",
                actor=by,
                changes={
                    "created": len(result.created),
                    "updated": result.updated,
                    "retired": result.retired,
                    "standard_rows_written": result.standard_rows_written,
                },
                reason="load_catalog " + " ".join(str(path) for path in paths),
            )
    return result


def _without(values: dict, *names: str) -> dict:
    return {key: value for key, value in values.items() if key not in names}


@dataclass
class _Synced:
    rows: dict[str, models.Model]
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        return len(self.created) + len(self.updated)


def _sync(model, key: str, wanted: dict[str, dict], existing: dict | None = None) -> _Synced:
    """Make rows look like `wanted` (key -> field values): bulk create and bulk update."""
    if existing is None:
        existing = {
            getattr(row, key): row for row in model.objects.filter(**{f"{key}__in": list(wanted)})
        }
    synced = _Synced(rows=dict(existing))
    new, changed, fields = [], [], set()
    for name, values in wanted.items():
        row = existing.get(name)
        if row is None:
            new.append(model(**{key: name}, **values))
            synced.created.append(name)
            continue
        stale = [field for field, value in values.items() if getattr(row, field) != value]
        if stale:
            for field_name in stale:
                setattr(row, field_name, values[field_name])
            changed.append(row)
            fields.update(stale)
            synced.updated.append(name)
    for row in model.objects.bulk_create(new):
        synced.rows[getattr(row, key)] = row
    if changed:
        model.objects.bulk_update(changed, sorted(fields))
    return synced


@dataclass
class _ControlRows:
    values: dict[str, dict]
    owasp: dict[str, list[str]]


def _sync_controls(wanted: _ControlRows, *, scope) -> _Synced:
    """Upsert controls by ref and set their OWASP references; return what changed."""
    existing = {
        row.ref: row
        for row in Control.objects.filter(
            models.Q(ref__in=list(wanted.values)) | models.Q(pk__in=scope.values("pk"))
        )
    }
    synced = _sync(
        Control,
        "ref",
        wanted.values,
        existing={ref: existing[ref] for ref in wanted.values if ref in existing},
    )
    synced.rows.update(existing)
    through = Control.owasp.through
    current: dict[int, set[int]] = defaultdict(set)
    for control_id, reference_id in through.objects.filter(
        control_id__in=[row.pk for row in synced.rows.values()]
    ).values_list("control_id", "owaspreference_id"):
        current[control_id].add(reference_id)
    references = dict(OwaspReference.objects.values_list("code", "pk"))
    replace = {}
    for ref, codes in wanted.owasp.items():
        control = synced.rows[ref]
        ids = {references[code] for code in codes}
        if current[control.pk] != ids:
            replace[control.pk] = ids
            if ref not in synced.created and ref not in synced.updated:
                synced.updated.append(ref)
    through.objects.filter(control_id__in=list(replace)).delete()
    through.objects.bulk_create(
        [
            through(control_id=pk, owaspreference_id=ref_id)
            for pk, ids in replace.items()
            for ref_id in ids
        ]
    )
    return synced


def _asvs_baseline() -> _ControlRows:
    """Each ASVS requirement is also a control, so a checklist can take a level 1 or 2 baseline."""
    source_id = Source.objects.values_list("pk", flat=True).get(slug=ASVS_SOURCE_SLUG)
    rows = _ControlRows(values={}, owasp={})
    asvs = OwaspReference.objects.filter(standard=OwaspStandard.ASVS).order_by("position")
    for position, reference in enumerate(asvs):
        if reference.title.startswith("[DELETED"):  # withdrawn in 4.0.3, kept only as a number
            continue
        ref = f"ASVS-{reference.code}"
        level = reference.asvs_level or 3
        section_name = reference.section.split(" › ")[-1].split(" ", 1)[-1]
        rows.values[ref] = {
            "source_id": source_id,
            "section": reference.code,
            "title": f"{section_name} ({reference.code})",
            "requirement": reference.title,
            "category": ASVS_CHAPTER_CATEGORIES[reference.code.split(".")[0]],
            "severity": ASVS_LEVEL_SEVERITY[level],
            "severity_reason": f"Required from ASVS level {level}.",
            "applies_to": ["backend"],
            "evidence_guidance": ASVS_EVIDENCE,
            "recurrence_days": None,
            "recurrence_set_by": "",
            "obligation_kind": "",
            "derived": False,
            "retired": False,
            "position": position,
        }
        rows.owasp[ref] = [reference.code]
    return rows


def _check_group_members(data: CatalogData) -> None:
    known = set(data.controls) | set(Control.objects.values_list("ref", flat=True))
    for group in data.groups.values():
        for member in group.members:
            if member not in known:
                raise CatalogError(
                    group.path,
                    f"unknown control {member!r}",
                    ref=f"group {group.slug}",
                    field_name="members",
                )


def _load_catalog(data: CatalogData, result: LoadResult) -> None:
    providers = _sync(
        Provider,
        "slug",
        {slug: _without(asdict(provider), "slug") for slug, provider in data.providers.items()},
    )
    sources = _sync(
        Source,
        "slug",
        {
            slug: {
                "title": source.title,
                "kind": SourceKind.PROVIDER_GUIDE,
                "provider_id": providers.rows[source.provider].pk,
                "version": source.version,
                "url": source.url,
                "seed": source.seed,
                "attribution": source.attribution,
            }
            for slug, source in data.sources.items()
        },
    )
    result.other_changes += providers.written + sources.written
    wanted = _ControlRows(values={}, owasp={})
    for ref, item in data.controls.items():
        wanted.values[ref] = {
            "source_id": sources.rows[item.source].pk,
            "section": item.section,
            "title": item.title,
            "requirement": item.requirement,
            "category": item.category,
            "severity": item.severity,
            "severity_reason": item.severity_reason,
            "applies_to": item.applies_to,
            "evidence_guidance": item.evidence_guidance,
            "recurrence_days": item.recurrence_days,
            "recurrence_set_by": item.recurrence_set_by,
            "obligation_kind": item.obligation_kind,
            "derived": item.derived,
            "retired": item.retired,
            "position": item.position,
        }
        wanted.owasp[ref] = item.owasp
    scope = Control.objects.filter(source__slug__in=list(data.sources))
    vanished = sorted(
        scope.filter(retired=False)
        .exclude(ref__in=list(data.controls))
        .values_list("ref", flat=True)
    )
    synced = _sync_controls(wanted, scope=scope)
    Control.objects.filter(ref__in=vanished).update(retired=True)
    result.created, result.updated, result.retired = synced.created, synced.updated, vanished
    result.unchanged = len(data.controls) - len(synced.created) - len(synced.updated)

    groups = _sync(
        EquivalenceGroup,
        "slug",
        {
            slug: {"title": group.title, "description": group.description}
            for slug, group in data.groups.items()
        },
    )
    result.other_changes += groups.written
    if data.groups_read:
        gone = EquivalenceGroup.objects.exclude(slug__in=list(data.groups))
        result.other_changes += Control.objects.filter(equivalence_group__in=gone).update(
            equivalence_group=None
        )
        result.other_changes += gone.delete()[0]
    for slug, group in data.groups.items():
        row = groups.rows[slug]
        result.other_changes += (
            Control.objects.filter(equivalence_group=row)
            .exclude(ref__in=group.members)
            .update(equivalence_group=None)
        )
        result.other_changes += (
            Control.objects.filter(ref__in=group.members)
            .exclude(equivalence_group=row)
            .update(equivalence_group=row)
        )
