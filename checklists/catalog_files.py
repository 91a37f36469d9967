"""Reading and checking catalog files before anything is written.

Three shapes are accepted, all turned into one `CatalogData`:
- a provider file (`fixtures/catalog/<provider>.yaml`): `source`, `provider`, `controls`;
- the equivalence groups file: `groups`;
- an export bundle (`export_catalog` output, YAML or JSON): `providers`, `sources`,
  `equivalence_groups`, `controls`.
Every problem is a `CatalogError` naming the file, the control or group, and the field.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from checklists.models.catalog import (
    APPLIES_TO,
    Category,
    ObligationKind,
    RecurrenceSetBy,
    Severity,
)

CONTROL_REQUIRED = (
    "ref",
    "section",
    "title",
    "requirement",
    "category",
    "severity",
    "severity_reason",
    "applies_to",
    "evidence_guidance",
    "owasp",
)
CONTROL_OPTIONAL = ("recurrence_days", "recurrence_set_by", "obligation", "derived")
SOURCE_OPTIONAL = ("version", "url", "seed", "attribution")
EXPORT_CONTROL_EXTRA = ("source", "provider", "equivalence_group", "retired")


class CatalogError(Exception):
    def __init__(self, path: Path | str, message: str, *, ref: str = "", field_name: str = ""):
        where = str(path)
        if ref:
            where += f": {ref}"
        if field_name:
            where += f": field '{field_name}'"
        super().__init__(f"{where}: {message}")


@dataclass
class ProviderData:
    slug: str
    name: str
    docs_url: str = ""
    incident_email: str = ""
    incident_instructions: str = ""


@dataclass
class SourceData:
    slug: str
    title: str
    provider: str
    version: str = ""
    url: str = ""
    seed: str = ""
    attribution: str = ""


@dataclass
class GroupData:
    slug: str
    title: str
    description: str
    members: list[str]
    path: str


@dataclass
class ControlData:
    ref: str
    source: str
    section: str
    title: str
    requirement: str
    category: str
    severity: str
    severity_reason: str
    applies_to: list[str]
    evidence_guidance: str
    recurrence_days: int | None
    recurrence_set_by: str
    obligation_kind: str
    derived: bool
    owasp: list[str]
    position: int
    path: str
    retired: bool = False


@dataclass
class CatalogData:
    providers: dict[str, ProviderData] = field(default_factory=dict)
    sources: dict[str, SourceData] = field(default_factory=dict)
    groups: dict[str, GroupData] = field(default_factory=dict)
    groups_read: bool = False  # a groups file (or bundle) was read: groups not in it are gone
    controls: dict[str, ControlData] = field(default_factory=dict)


def read_catalog(paths: list[Path], owasp_codes: set[str]) -> CatalogData:
    """Parse and check every file; raise on the first problem, having written nothing."""
    data = CatalogData()
    for path in paths:
        document = _read_document(path)
        if {"providers", "sources", "controls"} <= set(document):
            _read_bundle(path, document, data)
        elif "groups" in document:
            _check_keys(path, document, required=("groups",), optional=())
            data.groups_read = True
            for entry in _list(path, document, "groups"):
                _add_group(path, entry, data)
        else:
            _read_provider_file(path, document, data)
    for control in data.controls.values():
        for code in control.owasp:
            if code not in owasp_codes:
                raise CatalogError(
                    control.path, f"unknown OWASP id {code!r}", ref=control.ref, field_name="owasp"
                )
    return data


def _read_document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(path, f"cannot be read: {exc}") from exc
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(path, f"invalid JSON: {exc.msg} at line {exc.lineno}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(path, f"invalid YAML: {problem}{where}") from exc
    if not isinstance(document, dict):
        raise CatalogError(path, "expected a mapping at the top level")
    return document


def _check_keys(path, entry, *, required, optional, ref: str = "") -> None:
    if not isinstance(entry, dict):
        raise CatalogError(path, "expected a mapping", ref=ref)
    for key in entry:
        if key not in required and key not in optional:
            raise CatalogError(path, "unknown field", ref=ref, field_name=str(key))
    for key in required:
        if key not in entry or entry[key] in (None, "", []) and key != "owasp":
            raise CatalogError(path, "missing required field", ref=ref, field_name=key)


def _list(path, document, key, ref: str = "") -> list:
    value = document.get(key)
    if not isinstance(value, list):
        raise CatalogError(path, "expected a list", ref=ref, field_name=key)
    return value


def _text(path, entry, key, ref: str = "") -> str:
    """A text field. Numbers are refused: YAML reads an unquoted 1.10 as 1.1."""
    value = entry.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CatalogError(
            path,
            f"expected text, got the {type(value).__name__} {value!r}; put it in quotes",
            ref=ref,
            field_name=key,
        )
    return value.strip()


def _read_provider_file(path: Path, document: dict, data: CatalogData) -> None:
    _check_keys(path, document, required=("source", "provider", "controls"), optional=())
    provider = document["provider"]
    _check_keys(
        path,
        provider,
        required=("slug", "name"),
        optional=("docs_url", "incident_contact"),
        ref="provider",
    )
    contact = provider.get("incident_contact") or {}
    _check_keys(
        path,
        contact,
        required=(),
        optional=("email", "instructions"),
        ref="provider.incident_contact",
    )
    _add_provider(
        path,
        ProviderData(
            slug=_text(path, provider, "slug", "provider"),
            name=_text(path, provider, "name", "provider"),
            docs_url=_text(path, provider, "docs_url", "provider"),
            incident_email=_text(path, contact, "email", "provider.incident_contact"),
            incident_instructions=" ".join(_text(path, contact, "instructions").split()),
        ),
        data,
    )
    source = document["source"]
    _check_keys(path, source, required=("slug", "title"), optional=SOURCE_OPTIONAL, ref="source")
    source_slug = _text(path, source, "slug", "source")
    _add_source(
        path,
        SourceData(
            slug=source_slug,
            title=_text(path, source, "title", "source"),
            provider=provider["slug"],
            version=_text(path, source, "version", "source"),
            url=_text(path, source, "url", "source"),
            seed=_text(path, source, "seed", "source"),
            attribution=" ".join(_text(path, source, "attribution", "source").split()),
        ),
        data,
    )
    for position, entry in enumerate(_list(path, document, "controls")):
        _add_control(path, entry, data, source=source_slug, position=position, extra=())


def _read_bundle(path: Path, document: dict, data: CatalogData) -> None:
    _check_keys(
        path,
        document,
        required=("providers", "sources", "controls"),
        optional=("equivalence_groups",),
    )
    for entry in _list(path, document, "providers"):
        _check_keys(
            path,
            entry,
            required=("slug", "name"),
            optional=("docs_url", "incident_email", "incident_instructions"),
            ref="provider",
        )
        _add_provider(
            path, ProviderData(**{k: _text(path, entry, k, "provider") for k in entry}), data
        )
    for entry in _list(path, document, "sources"):
        _check_keys(
            path,
            entry,
            required=("slug", "title", "provider"),
            optional=SOURCE_OPTIONAL,
            ref="source",
        )
        _add_source(path, SourceData(**{k: _text(path, entry, k, "source") for k in entry}), data)
    memberships: dict[str, list[str]] = {}
    positions: dict[str, int] = {}
    for entry in _list(path, document, "controls"):
        source = _text(path, entry, "source", str(entry.get("ref", "")))
        positions[source] = positions.get(source, -1) + 1
        control = _add_control(
            path, entry, data, source=source, position=positions[source], extra=EXPORT_CONTROL_EXTRA
        )
        if entry.get("equivalence_group"):
            memberships.setdefault(str(entry["equivalence_group"]), []).append(control.ref)
    data.groups_read = True
    for entry in document.get("equivalence_groups") or []:
        group = (
            {**entry, "members": memberships.pop(entry.get("slug"), [])}
            if isinstance(entry, dict)
            else entry
        )
        _add_group(path, group, data)
    for slug, members in memberships.items():
        raise CatalogError(
            path,
            f"unknown equivalence group {slug!r}",
            ref=members[0],
            field_name="equivalence_group",
        )


def _add_provider(path, provider: ProviderData, data: CatalogData) -> None:
    if provider.slug in data.providers and data.providers[provider.slug] != provider:
        raise CatalogError(
            path, f"provider {provider.slug!r} is described differently in another file"
        )
    data.providers[provider.slug] = provider


def _add_source(path, source: SourceData, data: CatalogData) -> None:
    if source.provider not in data.providers:
        raise CatalogError(
            path, f"unknown provider {source.provider!r}", ref=source.slug, field_name="provider"
        )
    if source.slug in data.sources:
        raise CatalogError(
            path, f"duplicate source {source.slug!r}", ref=source.slug, field_name="slug"
        )
    data.sources[source.slug] = source


def _add_control(
    path, entry, data: CatalogData, *, source: str, position: int, extra
) -> ControlData:
    ref = str(entry.get("ref", "")).strip() if isinstance(entry, dict) else ""
    label = ref or f"control #{position + 1}"
    _check_keys(
        path, entry, required=CONTROL_REQUIRED, optional=CONTROL_OPTIONAL + tuple(extra), ref=label
    )
    if ref in data.controls:
        raise CatalogError(
            path,
            f"duplicate ref (first defined in {data.controls[ref].path})",
            ref=ref,
            field_name="ref",
        )
    if source not in data.sources:
        raise CatalogError(path, f"unknown source {source!r}", ref=ref, field_name="source")
    category = _text(path, entry, "category", ref)
    if category not in Category.values:
        raise CatalogError(
            path,
            f"{category!r} is not one of {', '.join(Category.values)}",
            ref=ref,
            field_name="category",
        )
    severity = _text(path, entry, "severity", ref)
    if severity not in Severity.values:
        raise CatalogError(
            path,
            f"{severity!r} is not one of {', '.join(Severity.values)}",
            ref=ref,
            field_name="severity",
        )
    applies_to = entry["applies_to"]
    if (
        not isinstance(applies_to, list)
        or not applies_to
        or any(item not in APPLIES_TO for item in applies_to)
    ):
        raise CatalogError(
            path,
            f"expected a non-empty list of {', '.join(APPLIES_TO)}",
            ref=ref,
            field_name="applies_to",
        )
    recurrence = entry.get("recurrence_days")
    if recurrence is not None and (
        not isinstance(recurrence, int) or isinstance(recurrence, bool) or recurrence < 1
    ):
        raise CatalogError(
            path,
            "expected a positive number of days or null",
            ref=ref,
            field_name="recurrence_days",
        )
    set_by = entry.get("recurrence_set_by") or ""
    if recurrence is None and set_by:
        raise CatalogError(
            path,
            "only a recurring control says who set its interval",
            ref=ref,
            field_name="recurrence_set_by",
        )
    if recurrence is not None and set_by not in RecurrenceSetBy.values:
        raise CatalogError(
            path,
            "say who set the interval: provider (the guide names it) or catalog (our choice)",
            ref=ref,
            field_name="recurrence_set_by",
        )
    obligation = entry.get("obligation") or ""
    if recurrence is None and obligation:
        raise CatalogError(
            path, "only a recurring control implies an obligation", ref=ref, field_name="obligation"
        )
    if recurrence is not None and obligation not in ObligationKind.values:
        raise CatalogError(
            path,
            f"name the recurring duty: one of {', '.join(ObligationKind.values)}",
            ref=ref,
            field_name="obligation",
        )
    derived = entry.get("derived", False)
    if not isinstance(derived, bool):
        raise CatalogError(path, "expected true or false", ref=ref, field_name="derived")
    owasp = entry["owasp"]
    if not isinstance(owasp, list) or not all(isinstance(code, str) for code in owasp):
        raise CatalogError(path, "expected a list of OWASP ids", ref=ref, field_name="owasp")
    retired = entry.get("retired", False)
    if not isinstance(retired, bool):
        raise CatalogError(path, "expected true or false", ref=ref, field_name="retired")
    control = ControlData(
        ref=ref,
        source=source,
        section=_text(path, entry, "section", ref),
        title=_text(path, entry, "title", ref),
        requirement=" ".join(_text(path, entry, "requirement", ref).split()),
        category=category,
        severity=severity,
        severity_reason=" ".join(_text(path, entry, "severity_reason", ref).split()),
        applies_to=list(applies_to),
        evidence_guidance=" ".join(_text(path, entry, "evidence_guidance", ref).split()),
        recurrence_days=recurrence,
        recurrence_set_by=set_by,
        obligation_kind=obligation,
        derived=derived,
        owasp=list(dict.fromkeys(owasp)),
        position=position,
        path=str(path),
        retired=retired,
    )
    data.controls[ref] = control
    return control


def _add_group(path, entry, data: CatalogData) -> None:
    slug = str(entry.get("slug", "")).strip() if isinstance(entry, dict) else ""
    label = f"group {slug}" if slug else "group"
    _check_keys(
        path, entry, required=("slug", "title", "members"), optional=("description",), ref=label
    )
    if slug in data.groups:
        raise CatalogError(path, "duplicate group", ref=label, field_name="slug")
    members = _list(path, entry, "members", label)
    for other in data.groups.values():
        shared = set(other.members) & set(members)
        if shared:
            raise CatalogError(
                path,
                f"{sorted(shared)[0]} is already in group {other.slug}",
                ref=label,
                field_name="members",
            )
    data.groups[slug] = GroupData(
        slug=slug,
        title=_text(path, entry, "title", label),
        description=" ".join(_text(path, entry, "description", label).split()),
        members=[str(member) for member in members],
        path=str(path),
    )
