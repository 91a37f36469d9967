import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse

from checklists.models import Control, EquivalenceGroup, OwaspReference, Provider, Source
from checklists.services.catalog import default_catalog_paths
from portal.audit.models import AuditEvent


def _control(ref: str, **fields) -> dict:
    return {
        "ref": ref,
        "section": ref.split("-", 1)[1],
        "title": f"Title of {ref}",
        "requirement": "Keep the token on the server.",
        "category": "credentials",
        "severity": "high",
        "severity_reason": "A leaked token is a direct loss.",
        "applies_to": ["backend"],
        "evidence_guidance": "A configuration excerpt.",
        "recurrence_days": None,
        "owasp": ["V2.10.4", "A07:2021"],
        **fields,
    }


def _provider_file(tmp_path: Path, name: str, controls: list[dict], slug: str = "testpay") -> Path:
    path = tmp_path / f"{name}.yaml"
    document = {
        "source": {
            "slug": f"{slug}-guide",
            "title": f"{slug} guide",
            "version": "1",
            "url": "",
            "seed": "",
        },
        "provider": {"slug": slug, "name": slug.title(), "docs_url": "", "incident_contact": {}},
        "controls": controls,
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _load(*paths) -> str:
    out = StringIO()
    call_command("load_catalog", *[str(path) for path in paths], stdout=out)
    return out.getvalue()


def _load_error(*paths) -> str:
    with pytest.raises(CommandError) as error:
        _load(*paths)
    return str(error.value)


def test_it_loads_every_provider_and_the_owasp_standards(db):
    output = _load()
    assert "created" in output
    assert set(Provider.objects.values_list("slug", flat=True)) == {
        "gopay",
        "codepay",
        "wechat",
        "mixpay",
        "ucanpay",
    }
    assert OwaspReference.objects.filter(standard="asvs-4.0.3").count() == 286
    assert OwaspReference.objects.filter(standard="top10-2021").count() == 10
    assert OwaspReference.objects.filter(standard="api-top10-2023").count() == 10
    assert Control.objects.count() >= 100
    assert Source.objects.get(slug="owasp-asvs-4.0.3").attribution.endswith(
        "licensed under CC BY-SA 4.0."
    )
    assert AuditEvent.objects.filter(action="checklists.catalog.loaded").count() == 1


def test_loading_twice_changes_nothing_the_second_time(db):
    _load()
    before = json.dumps(list(Control.objects.order_by("ref").values()), default=str)
    events = AuditEvent.objects.count()
    output = _load()
    assert output.startswith("Catalog unchanged")
    assert json.dumps(list(Control.objects.order_by("ref").values()), default=str) == before
    assert AuditEvent.objects.count() == events


def test_codepay_password_rotation_recurs_every_ninety_days(db):
    _load()
    assert Control.objects.filter(source__provider__slug="codepay", recurrence_days=90).exists()


def test_it_updates_by_ref_and_retires_what_vanished(db, tmp_path):
    _load(_provider_file(tmp_path, "v1", [_control("TEST-1"), _control("TEST-2")]))
    output = _load(_provider_file(tmp_path, "v2", [_control("TEST-1", title="Renamed")]))
    assert "1 updated, 1 retired" in output
    assert Control.objects.get(ref="TEST-1").title == "Renamed"
    assert Control.objects.get(ref="TEST-2").retired
    _load(_provider_file(tmp_path, "v3", [_control("TEST-1", title="Renamed"), _control("TEST-2")]))
    assert not Control.objects.get(ref="TEST-2").retired


def test_it_rejects_invalid_yaml(db, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("controls:\n  - ref: TEST-1\n    title: [unclosed\n")
    assert _load_error(path) == (
        f"{path}: invalid YAML: expected ',' or ']', but got '<stream end>' at line 4, column 1. "
        "Nothing was loaded."
    )
    assert not Control.objects.exists()


def test_it_rejects_an_unknown_field(db, tmp_path):
    path = _provider_file(tmp_path, "typo", [_control("TEST-1", sevrity="high")])
    assert (
        _load_error(path) == f"{path}: TEST-1: field 'sevrity': unknown field. Nothing was loaded."
    )
    assert not Control.objects.exists()


def test_it_rejects_a_missing_required_field(db, tmp_path):
    control = _control("TEST-1")
    del control["evidence_guidance"]
    path = _provider_file(tmp_path, "missing", [control])
    assert _load_error(path) == (
        f"{path}: TEST-1: field 'evidence_guidance': missing required field. Nothing was loaded."
    )


def test_it_rejects_a_duplicate_ref_across_files(db, tmp_path):
    first = _provider_file(tmp_path, "first", [_control("TEST-1")])
    second = _provider_file(tmp_path, "second", [_control("TEST-1")], slug="otherpay")
    assert _load_error(first, second) == (
        f"{second}: TEST-1: field 'ref': duplicate ref (first defined in {first}). "
        "Nothing was loaded."
    )
    assert not Control.objects.exists() and not Provider.objects.exists()


def test_it_rejects_an_unknown_owasp_id(db, tmp_path):
    path = _provider_file(tmp_path, "owasp", [_control("TEST-1", owasp=["V2.10.4", "V99.9.9"])])
    assert (
        _load_error(path)
        == f"{path}: TEST-1: field 'owasp': unknown OWASP id 'V99.9.9'. Nothing was loaded."
    )


def test_it_rejects_an_unknown_equivalence_member(db, tmp_path):
    controls = _provider_file(tmp_path, "controls", [_control("TEST-1")])
    groups = tmp_path / "groups.yaml"
    groups.write_text(
        yaml.safe_dump(
            {"groups": [{"slug": "tokens", "title": "Tokens", "members": ["TEST-1", "NOPE-9"]}]}
        )
    )
    assert _load_error(controls, groups) == (
        f"{groups}: group tokens: field 'members': unknown control 'NOPE-9'. Nothing was loaded."
    )
    assert not Control.objects.exists() and not EquivalenceGroup.objects.exists()


def test_it_rejects_a_bad_value(db, tmp_path):
    path = _provider_file(tmp_path, "severity", [_control("TEST-1", severity="extreme")])
    assert _load_error(path) == (
        f"{path}: TEST-1: field 'severity': 'extreme' is not one of critical, high, medium, low. "
        "Nothing was loaded."
    )


def test_a_bad_file_leaves_an_existing_catalog_untouched(db, tmp_path):
    _load(_provider_file(tmp_path, "good", [_control("TEST-1")]))
    bad = _provider_file(
        tmp_path, "bad", [_control("TEST-1", title="Changed"), _control("TEST-2", owasp=["X1"])]
    )
    _load_error(bad)
    assert Control.objects.get(ref="TEST-1").title == "Title of TEST-1"
    assert not Control.objects.filter(ref="TEST-2").exists()


def test_it_names_a_missing_file(db, tmp_path):
    assert _load_error(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: no such file"


def test_the_default_catalog_has_one_file_per_seed_and_the_groups():
    names = {path.name for path in default_catalog_paths()}
    assert names == {
        "gopay.yaml",
        "codepay.yaml",
        "wechat.yaml",
        "mixpay.yaml",
        "ucanpay.yaml",
        "equivalence-groups.yaml",
    }


def test_it_refuses_a_number_where_text_is_expected(db, tmp_path):
    path = tmp_path / "unquoted.yaml"
    text = yaml.safe_dump(
        {
            "source": {"slug": "testpay-guide", "title": "Guide"},
            "provider": {"slug": "testpay", "name": "Testpay"},
            "controls": [_control("TEST-1.10")],
        },
        sort_keys=False,
    ).replace("section: '1.10'", "section: 1.10")
    path.write_text(text)
    assert _load_error(path) == (
        f"{path}: TEST-1.10: field 'section': expected text, got the float 1.1; put it in quotes. "
        "Nothing was loaded."
    )
    assert not Control.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"recurrence_days": 90},
            "field 'recurrence_set_by': say who set the interval: provider (the guide names it) "
            "or catalog (our choice)",
        ),
        (
            {"recurrence_days": 90, "recurrence_set_by": "us"},
            "field 'recurrence_set_by': say who set the interval: provider (the guide names it) "
            "or catalog (our choice)",
        ),
        (
            {"recurrence_set_by": "provider"},
            "field 'recurrence_set_by': only a recurring control says who set its interval",
        ),
        (
            {"recurrence_days": 90, "recurrence_set_by": "provider"},
            "field 'obligation': name the recurring duty: one of password-rotation, "
            "key-rotation, access-review, contact-verification, security-audit, "
            "vulnerability-scan, dr-test, custom",
        ),
        (
            {"obligation": "key-rotation"},
            "field 'obligation': only a recurring control implies an obligation",
        ),
        ({"derived": "yes"}, "field 'derived': expected true or false"),
    ],
)
def test_it_checks_who_set_an_interval_and_derived_controls(db, tmp_path, fields, message):
    path = _provider_file(tmp_path, "interval", [_control("TEST-1", **fields)])
    assert _load_error(path) == f"{path}: TEST-1: {message}. Nothing was loaded."


def test_it_loads_interval_origin_attribution_and_derived(db, tmp_path):
    path = _provider_file(
        tmp_path,
        "good",
        [
            _control(
                "TEST-1",
                recurrence_days=90,
                recurrence_set_by="provider",
                obligation="password-rotation",
            ),
            _control("TEST-2", derived=True),
        ],
    )
    document = yaml.safe_load(path.read_text())
    document["source"]["attribution"] = "An article by a vendor, not the provider's own guide."
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    _load(path)
    first, second = Control.objects.get(ref="TEST-1"), Control.objects.get(ref="TEST-2")
    assert (first.recurrence_set_by, first.derived) == ("provider", False)
    assert (first.obligation_kind, second.obligation_kind) == ("password-rotation", "")
    assert first.recurrence_label == "Testpay requires it every 90 days"
    assert (second.recurrence_set_by, second.derived, second.recurrence_label) == ("", True, "")
    assert Source.objects.get(slug="testpay-guide").attribution.startswith("An article by a vendor")


def test_a_group_removed_from_the_groups_file_is_removed(db, tmp_path):
    _load()
    groups_file = next(p for p in default_catalog_paths() if p.name == "equivalence-groups.yaml")
    document = yaml.safe_load(groups_file.read_text())
    dropped = document["groups"].pop(0)
    trimmed = tmp_path / "equivalence-groups.yaml"
    trimmed.write_text(yaml.safe_dump(document, sort_keys=False))
    providers = [p for p in default_catalog_paths() if p.name != "equivalence-groups.yaml"]
    _load(*providers, trimmed)
    assert not EquivalenceGroup.objects.filter(slug=dropped["slug"]).exists()
    assert not Control.objects.filter(ref__in=dropped["members"], equivalence_group__isnull=False)


def test_the_catalog_admin_is_read_only(admin_client, catalog):
    control = Control.objects.get(ref="CODEPAY-1.4a.1")
    change = reverse("admin:checklists_control_change", args=[control.pk])
    page = admin_client.get(change)
    assert page.status_code == 200 and b'name="title"' not in page.content
    admin_client.post(change, {"title": "Edited in the admin"})
    control.refresh_from_db()
    assert control.title != "Edited in the admin"
    for model in ("control", "provider", "source", "equivalencegroup", "owaspreference"):
        assert admin_client.get(reverse(f"admin:checklists_{model}_add")).status_code == 403
