"""The control catalog as an OSCAL catalog.

A group per provider, and one per standard whose requirements are controls (the OWASP ASVS
baseline, with a subgroup per chapter). Each control keeps its ref as its id and carries its
statement in the catalog's own words, its evidence guidance as the assessment method, its
severity and category as properties, its OWASP mappings as properties and links, and a link to
the source it cites with the section. Retired controls stay, marked withdrawn, so answers given
to them still resolve.

The document's date is the last time the catalog changed (its last recorded load); its version
is that date and a digest of its content.
"""

import hashlib
from collections import defaultdict
from datetime import UTC, datetime

from trestle.oscal import OSCAL_VERSION, common
from trestle.oscal import catalog as oscal

from checklists.models import Control, OwaspStandard, Provider, Source, SourceKind
from checklists.oscal.documents import OscalDocument, checked_bytes, to_bytes
from checklists.oscal.identifiers import (
    PORTAL_NS,
    or_none,
    oscal_prop,
    portal_prop,
    stable_uuid,
    utc,
)
from checklists.selectors.assessments import asvs_chapter, asvs_chapters
from checklists.selectors.catalog import controls_with_details
from portal.audit.models import AuditEvent

TITLE = "Compliance portal control catalog"
FILENAME = "oscal-catalog.json"
CATALOG_LOADED = "checklists.catalog.loaded"
# A catalog that was never loaded through load_catalog has no date of its own.
NEVER_LOADED = datetime(1970, 1, 1, tzinfo=UTC)
REMARKS = (
    "Every control states its requirement in the portal's own words and cites the section of "
    "the source it comes from. OWASP ASVS 4.0.3 requirement text © OWASP Foundation, "
    "CC BY-SA 4.0."
)


def source_uuid(source: Source) -> str:
    return stable_uuid("source", source.slug)


def statement_id(ref: str) -> str:
    """The id of a control's statement part: what findings about the control point at."""
    return f"{ref}_smt"


def last_changed() -> datetime:
    """When the catalog last changed: its last recorded load (loads that change nothing are
    not recorded)."""
    moment = (
        AuditEvent.objects.filter(action=CATALOG_LOADED)
        .order_by("-sequence")
        .values_list("created_at", flat=True)
        .first()
    )
    return utc(moment) if moment else NEVER_LOADED


def _links(control: Control) -> list[common.Link]:
    source = control.source
    links = [
        common.Link(
            href=f"#{source_uuid(source)}",
            rel="reference",
            text=f"{source.title}, section {control.section}",
        )
    ]
    links += [
        common.Link(
            href=reference.url,
            rel="reference",
            text=f"{OwaspStandard(reference.standard).label} {reference.code}",
        )
        for reference in control.owasp.all()
        if reference.url
    ]
    return links


def _props(control: Control) -> list[common.Property]:
    props = [oscal_prop("label", control.ref)]
    if control.retired:
        props.append(oscal_prop("status", "withdrawn"))
    props += [
        portal_prop("severity", control.severity),
        portal_prop("category", control.category),
        portal_prop("source-section", control.section),
    ]
    props += [portal_prop("applies-to", target) for target in control.applies_to]
    if control.recurrence_days:
        props += [
            portal_prop("recurrence-days", control.recurrence_days),
            portal_prop("recurrence-set-by", control.recurrence_set_by),
            portal_prop("obligation", control.obligation_kind),
        ]
    if control.derived:
        props.append(portal_prop("derived", "true"))
    if control.equivalence_group_id:
        props.append(portal_prop("equivalence-group", control.equivalence_group.slug))
    props += [
        portal_prop("owasp-reference", reference.code, cls=reference.standard)
        for reference in control.owasp.all()
    ]
    return props


def _parts(control: Control) -> list[common.Part]:
    parts = [common.Part(id=statement_id(control.ref), name="statement", prose=control.requirement)]
    if control.evidence_guidance:
        parts.append(
            common.Part(
                id=f"{control.ref}_asm-examine",
                name="assessment-method",
                props=[oscal_prop("method", "EXAMINE")],
                prose=control.evidence_guidance,
            )
        )
    if control.severity_reason:
        parts.append(
            common.Part(name="severity-reason", ns=PORTAL_NS, prose=control.severity_reason)
        )
    return parts


def oscal_control(control: Control) -> oscal.Control:
    return oscal.Control(
        id=control.ref,
        title=control.title,
        props=_props(control),
        links=_links(control),
        parts=_parts(control),
    )


def _provider_group(provider: Provider, controls: list[Control]) -> oscal.Group2:
    return oscal.Group2(
        id=provider.slug,
        class_="provider",
        title=provider.name,
        links=or_none(
            [
                common.Link(
                    href=provider.docs_url, rel="reference", text=f"{provider.name} documentation"
                )
            ]
            if provider.docs_url
            else []
        ),
        controls=[oscal_control(control) for control in controls],
    )


def _standard_group(source: Source, controls: list[Control], chapters: dict[str, str]):
    by_chapter: dict[str, list[Control]] = defaultdict(list)
    for control in controls:
        by_chapter[asvs_chapter(control)].append(control)
    if list(by_chapter) == [""]:  # a standard without chapters
        return oscal.Group2(
            id=source.slug,
            class_="standard",
            title=source.title,
            controls=[oscal_control(control) for control in controls],
        )
    return oscal.Group1(
        id=source.slug,
        class_="standard",
        title=" ".join(part for part in (source.title, source.version, "baseline") if part),
        groups=[
            oscal.Group2(
                id=f"{source.slug}-{chapter.lower()}",
                class_="chapter",
                title=f"{chapter} {chapters.get(chapter, '')}".strip(),
                controls=[oscal_control(control) for control in members],
            )
            for chapter, members in by_chapter.items()
        ],
    )


def _source_resource(source: Source) -> common.Resource:
    kind = "standard" if source.kind == SourceKind.STANDARD else "external-guidance"
    props = [oscal_prop("type", kind)]
    if source.version:
        props.append(oscal_prop("version", source.version))
    return common.Resource(
        uuid=source_uuid(source),
        title=source.title,
        description=source.attribution or None,
        props=props,
        rlinks=or_none([common.Rlink(href=source.url)] if source.url else []),
    )


def build_catalog() -> oscal.Catalog:
    controls = list(
        controls_with_details(include_retired=True).order_by("source__slug", "position", "ref")
    )
    by_provider: dict[str, list[Control]] = defaultdict(list)
    by_standard: dict[str, list[Control]] = defaultdict(list)
    providers: dict[str, Provider] = {}
    sources: dict[str, Source] = {}
    for control in controls:
        source = control.source
        sources[source.slug] = source
        if source.provider_id:
            providers[source.provider.slug] = source.provider
            by_provider[source.provider.slug].append(control)
        else:
            by_standard[source.slug].append(control)
    chapters = asvs_chapters()
    groups = [_provider_group(providers[slug], by_provider[slug]) for slug in sorted(by_provider)]
    groups += [
        _standard_group(sources[slug], by_standard[slug], chapters) for slug in sorted(by_standard)
    ]
    changed = last_changed()
    draft = oscal.Catalog(
        uuid=stable_uuid("catalog"),
        metadata=_metadata(changed, version="pending"),
        groups=or_none(groups),
        back_matter=common.BackMatter(
            resources=or_none([_source_resource(sources[slug]) for slug in sorted(sources)])
        ),
    )
    digest = hashlib.sha256(to_bytes(draft)).hexdigest()
    return draft.model_copy(
        update={
            "uuid": stable_uuid("catalog", digest),
            "metadata": _metadata(changed, version=f"{changed:%Y-%m-%d}.{digest[:12]}"),
        }
    )


def _metadata(changed: datetime, *, version: str) -> common.Metadata:
    return common.Metadata(
        title=TITLE,
        last_modified=changed,
        version=version,
        oscal_version=OSCAL_VERSION,
        remarks=REMARKS,
    )


def catalog_document() -> OscalDocument:
    """The catalog as an OSCAL file, validated by reading it back."""
    return OscalDocument(data=checked_bytes(build_catalog()), filename=FILENAME)
