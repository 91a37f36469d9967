"""Read queries that several pages and commands share."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

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


def controls_with_details(*, include_retired: bool = False) -> QuerySet[Control]:
    """Controls with everything a listing shows, in a fixed number of queries."""
    controls = Control.objects.select_related(
        "source__provider", "equivalence_group"
    ).prefetch_related(
        Prefetch("owasp", queryset=OwaspReference.objects.order_by("standard", "position"))
    )
    return controls if include_retired else controls.filter(retired=False)


def catalog_export_data() -> dict:
    """The whole catalog in the documented export shape (see export_catalog)."""
    # Controls derived from a standard (the ASVS baseline) are rebuilt from the standard itself.
    controls = list(
        controls_with_details(include_retired=True)
        .filter(source__kind=SourceKind.PROVIDER_GUIDE)
        .order_by("source__slug", "position")
    )
    sources = (
        Source.objects.filter(kind=SourceKind.PROVIDER_GUIDE, controls__isnull=False)
        .distinct()
        .select_related("provider")
    )
    groups = EquivalenceGroup.objects.filter(controls__isnull=False).distinct().order_by("slug")
    return {
        "providers": [
            {
                "slug": provider.slug,
                "name": provider.name,
                "docs_url": provider.docs_url,
                "incident_email": provider.incident_email,
                "incident_instructions": provider.incident_instructions,
            }
            for provider in Provider.objects.order_by("slug")
        ],
        "sources": [
            {
                "slug": source.slug,
                "title": source.title,
                "provider": source.provider.slug if source.provider else "",
                "version": source.version,
                "url": source.url,
                "seed": source.seed,
                "attribution": source.attribution,
            }
            for source in sorted(sources, key=lambda source: source.slug)
        ],
        "equivalence_groups": [
            {"slug": group.slug, "title": group.title, "description": group.description}
            for group in groups
        ],
        "controls": [
            {
                "ref": control.ref,
                "source": control.source.slug,
                "provider": control.source.provider.slug if control.source.provider else "",
                "section": control.section,
                "title": control.title,
                "requirement": control.requirement,
                "category": control.category,
                "severity": control.severity,
                "severity_reason": control.severity_reason,
                "applies_to": control.applies_to,
                "evidence_guidance": control.evidence_guidance,
                "recurrence_days": control.recurrence_days,
                "recurrence_set_by": control.recurrence_set_by or None,
                "obligation": control.obligation_kind or None,
                "derived": control.derived,
                "owasp": [reference.code for reference in control.owasp.all()],
                "equivalence_group": control.equivalence_group.slug
                if control.equivalence_group
                else None,
                "retired": control.retired,
            }
            for control in controls
        ],
    }


def catalog_search(
    *,
    q: str = "",
    provider: str = "",
    source: str = "",
    category: str = "",
    severity: str = "",
    standard: str = "",
    owasp: str = "",
    retired: bool = False,
) -> QuerySet[Control]:
    """Controls matching the catalog page's filters (ids only; add details for display)."""
    controls = Control.objects.all() if retired else Control.objects.filter(retired=False)
    if not source:
        # The ASVS baseline's controls show when their source is asked for by name.
        controls = controls.filter(source__kind=SourceKind.PROVIDER_GUIDE)
    if q:
        controls = controls.filter(
            Q(ref__icontains=q)
            | Q(title__icontains=q)
            | Q(requirement__icontains=q)
            | Q(section__iexact=q)
        )
    if provider:
        controls = controls.filter(source__provider__slug=provider)
    if source:
        controls = controls.filter(source__slug=source)
    if category:
        controls = controls.filter(category=category)
    if severity:
        controls = controls.filter(severity=severity)
    if standard:
        controls = controls.filter(owasp__standard=standard)
    if owasp:
        controls = controls.filter(owasp__code__iexact=owasp)
    if standard or owasp:
        controls = controls.distinct()
    return controls


def catalog_facets(controls: QuerySet[Control]) -> dict[str, list[dict]]:
    """How many matching controls fall under each provider, category, severity and standard.

    Each facet is a list of {"value", "label", "count"}: four queries, whatever the catalog size.
    """
    base = Control.objects.filter(pk__in=controls.values("pk"))
    providers = (
        base.annotate(
            slug=Coalesce("source__provider__slug", "source__slug"),
            name=Coalesce("source__provider__name", "source__title"),
        )
        .values_list("slug", "name")
        .annotate(count=Count("pk"))
        .order_by("name")
    )
    standards = (
        base.filter(owasp__isnull=False)
        .values_list("owasp__standard")
        .annotate(count=Count("pk", distinct=True))
        .order_by("owasp__standard")
    )

    def counted(field: str, choices) -> list[dict]:
        counts = dict(base.values_list(field).annotate(count=Count("pk")).order_by())
        return [
            {"value": value, "label": label, "count": counts[value]}
            for value, label in choices
            if value in counts
        ]

    return {
        "provider": [
            {"value": slug, "label": name, "count": count} for slug, name, count in providers
        ],
        "category": counted("category", Category.choices),
        "severity": counted("severity", Severity.choices),
        "standard": [
            {"value": value, "label": OwaspStandard(value).label, "count": count}
            for value, count in standards
        ],
    }
