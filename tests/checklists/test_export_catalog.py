import json
from io import StringIO

import pytest
from django.core.management import call_command

from checklists.models import Control, EquivalenceGroup, OwaspReference, Provider, Source


def _export(fmt: str) -> str:
    out = StringIO()
    call_command("export_catalog", "--format", fmt, stdout=out)
    return out.getvalue()


def _empty_catalog():
    Control.objects.all().delete()
    EquivalenceGroup.objects.all().delete()
    Source.objects.all().delete()
    Provider.objects.all().delete()
    OwaspReference.objects.all().delete()


def test_it_exports_the_documented_json_shape(db):
    call_command("load_catalog", stdout=StringIO())
    data = json.loads(_export("json"))
    assert {source["provider"] for source in data["sources"]} == {
        "gopay",
        "codepay",
        "wechat",
        "mixpay",
        "ucanpay",
    }
    assert {control["provider"] for control in data["controls"]} == {
        "gopay",
        "codepay",
        "wechat",
        "mixpay",
        "ucanpay",
    }
    control = next(control for control in data["controls"] if control["ref"] == "GOPAY-1.2")
    assert set(control) >= {
        "ref",
        "source",
        "provider",
        "section",
        "title",
        "requirement",
        "category",
        "severity",
        "applies_to",
        "evidence_guidance",
        "recurrence_days",
        "owasp",
        "equivalence_group",
        "retired",
    }
    assert control["retired"] is False
    assert all(isinstance(code, str) for code in control["owasp"])


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_round_trip_gives_identical_output(db, tmp_path, fmt):
    call_command("load_catalog", stdout=StringIO())
    Control.objects.filter(ref="GOPAY-1.2").update(retired=True)
    first = _export(fmt)
    bundle = tmp_path / f"catalog.{fmt}"
    bundle.write_text(first)
    _empty_catalog()
    call_command("load_catalog", str(bundle), stdout=StringIO())
    assert _export(fmt) == first


def test_it_writes_to_a_file(db, tmp_path):
    call_command("load_catalog", stdout=StringIO())
    out = tmp_path / "catalog.json"
    call_command("export_catalog", "--format", "json", "--out", str(out), stderr=StringIO())
    assert json.loads(out.read_text())["controls"]
