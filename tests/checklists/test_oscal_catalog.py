"""The control catalog as an OSCAL catalog: valid, complete, and the same bytes each time."""

import argparse
import json

import pytest
import rfc8785
from trestle.common import const
from trestle.core.validator_factory import validator_factory
from trestle.oscal import catalog as oscal_catalog

from checklists.models import Control, SourceKind
from checklists.oscal.catalog import catalog_document
from checklists.oscal.identifiers import PORTAL_NS
from portal.audit.models import AuditEvent


def trestle_validates(model) -> bool:
    """trestle's own checks (`trestle validate --all`): unique UUIDs, roles of responsible
    parties defined, and the rest."""
    validator = validator_factory.get(argparse.Namespace(mode=const.VAL_MODE_ALL))
    return validator.model_is_valid(model, True, None)


def read_catalog(data: bytes) -> oscal_catalog.Catalog:
    return oscal_catalog.Model.model_validate_json(data).catalog


def all_controls(groups) -> list:
    found = []
    for group in groups or []:
        found += list(getattr(group, "controls", None) or [])
        found += all_controls(getattr(group, "groups", None))
    return found


def props_of(item, name: str) -> list[str]:
    return [prop.value for prop in item.props or [] if prop.name == name]


@pytest.fixture
def exported(catalog):
    return catalog_document()


def test_it_is_a_valid_oscal_catalog_in_oscal_field_names(exported):
    data = json.loads(exported.data)
    assert list(data) == ["catalog"]
    assert {"uuid", "metadata", "groups", "back-matter"} <= set(data["catalog"])
    assert {"last-modified", "oscal-version"} <= set(data["catalog"]["metadata"])
    model = read_catalog(exported.data)
    assert trestle_validates(model)
    # Canonical JSON (RFC 8785): what any canonicalizing tool writes, byte for byte.
    assert rfc8785.dumps(data) == exported.data


def test_every_control_is_there_once_grouped_by_provider_and_asvs_chapter(exported):
    model = read_catalog(exported.data)
    controls = all_controls(model.groups)
    ids = [control.id for control in controls]
    assert sorted(ids) == sorted(Control.objects.values_list("ref", flat=True))
    assert len(ids) == len(set(ids))
    groups = {group.id: group for group in model.groups}
    providers = set(
        Control.objects.filter(source__kind=SourceKind.PROVIDER_GUIDE).values_list(
            "source__provider__slug", flat=True
        )
    )
    assert providers <= set(groups)
    asvs = groups["owasp-asvs-4.0.3"]
    assert [chapter.id for chapter in asvs.groups][:2] == [
        "owasp-asvs-4.0.3-v1",
        "owasp-asvs-4.0.3-v2",
    ]
    assert {control.id for control in groups["gopay"].controls} == set(
        Control.objects.filter(source__provider__slug="gopay").values_list("ref", flat=True)
    )


def test_a_control_carries_its_statement_severity_category_and_owasp_mappings(exported):
    model = read_catalog(exported.data)
    control = next(c for c in all_controls(model.groups) if c.id == "GOPAY-1.3")
    source = Control.objects.select_related("source").get(ref="GOPAY-1.3")
    parts = {part.name: part for part in control.parts}
    assert parts["statement"].id == "GOPAY-1.3_smt"
    assert parts["statement"].prose == source.requirement
    assert parts["assessment-method"].prose == source.evidence_guidance
    assert props_of(control, "severity") == [source.severity]
    assert props_of(control, "category") == [source.category]
    assert props_of(control, "source-section") == [source.section]
    assert all(str(p.ns) == PORTAL_NS for p in control.props if p.name == "severity")
    codes = sorted(source.owasp.values_list("code", flat=True))
    assert codes and sorted(props_of(control, "owasp-reference")) == codes
    texts = [link.text for link in control.links]
    assert any(code in text for code in codes for text in texts)
    # The source it cites: a back-matter resource, with the section in the link.
    citation = control.links[0]
    resources = {f"#{r.uuid}": r for r in model.back_matter.resources}
    assert resources[citation.href].title == source.source.title
    assert citation.text.endswith(f"section {source.section}")


def test_the_same_catalog_gives_the_same_bytes(exported):
    again = catalog_document()
    assert again.data == exported.data and again.sha256 == exported.sha256
    model = read_catalog(exported.data)
    loaded = AuditEvent.objects.filter(action="checklists.catalog.loaded").latest("sequence")
    assert abs((model.metadata.last_modified - loaded.created_at).total_seconds()) < 0.001
    assert model.metadata.version.startswith(f"{loaded.created_at:%Y-%m-%d}.")


def test_a_change_gives_a_new_version_and_uuid_and_retired_controls_are_withdrawn(exported):
    before = read_catalog(exported.data)
    Control.objects.filter(ref="GOPAY-1.3").update(retired=True)
    changed = catalog_document()
    after = read_catalog(changed.data)
    assert changed.data != exported.data
    assert after.uuid != before.uuid and after.metadata.version != before.metadata.version
    control = next(c for c in all_controls(after.groups) if c.id == "GOPAY-1.3")
    assert [p.value for p in control.props if p.name == "status"] == ["withdrawn"]
