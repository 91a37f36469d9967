from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from checklists.models import Control

URLS = [
    reverse("checklists:control_list"),
    reverse("checklists:control_list") + "?provider=gopay&severity=critical",
    reverse("checklists:control_list") + "?standard=api-top10-2023&q=token",
    reverse("checklists:control_detail", args=["GOPAY-1.2"]),
    reverse("checklists:provider_detail", args=["codepay"]),
    reverse("checklists:owasp_detail", args=["A07:2021"]),
]


def _extra_controls(tmp_path, count: int) -> None:
    """A larger catalog: `count` more controls for an extra provider, all mapped to OWASP."""
    controls = [
        {
            "ref": f"BULK-{index}",
            "section": str(index),
            "title": f"Bulk control {index}",
            "requirement": "Keep tokens out of logs.",
            "category": "logging",
            "severity": "critical",
            "severity_reason": "Leaked tokens are misused.",
            "applies_to": ["backend"],
            "evidence_guidance": "A log excerpt.",
            "owasp": ["V7.1.1", "A09:2021", "API8:2023"],
        }
        for index in range(count)
    ]
    path = tmp_path / "bulk.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "source": {"slug": "bulk-guide", "title": "Bulk guide"},
                "provider": {"slug": "gopay", "name": "GoPay", "incident_contact": {}},
                "controls": controls,
            }
        )
    )
    call_command("load_catalog", str(path), stdout=StringIO())


@pytest.mark.parametrize("url", URLS)
def test_it_requires_sign_in(client, catalog, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url", URLS)
def test_every_signed_in_user_reads_the_catalog(client, catalog, nobody, url):
    client.force_login(nobody)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", URLS)
def test_query_count_does_not_grow_with_the_catalog(
    client, catalog, nobody, tmp_path, url, django_assert_max_num_queries
):
    client.force_login(nobody)
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    _extra_controls(tmp_path, 120)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_list_filters_and_counts_facets(client, catalog, nobody):
    client.force_login(nobody)
    response = client.get(reverse("checklists:control_list"), {"provider": "mixpay"})
    page = response.content.decode()
    mixpay = Control.objects.filter(source__provider__slug="mixpay", retired=False)
    assert f"{mixpay.count()} controls" in page
    assert "GOPAY-1.2" not in page
    facets = response.context["facets"]
    assert facets["provider"] == [{"value": "mixpay", "label": "MixPay", "count": mixpay.count()}]
    assert sum(entry["count"] for entry in facets["severity"]) == mixpay.count()


def test_the_list_filters_by_owasp_id(client, catalog, nobody):
    client.force_login(nobody)
    response = client.get(reverse("checklists:control_list"), {"owasp": "V2.10.4"})
    expected = set(
        Control.objects.filter(
            owasp__code="V2.10.4", retired=False, source__kind="provider-guide"
        ).values_list("ref", flat=True)
    )
    assert expected and {control.ref for control in response.context["page"]} == expected


def test_the_list_searches_free_text(client, catalog, nobody):
    client.force_login(nobody)
    response = client.get(reverse("checklists:control_list"), {"q": "amount"})
    refs = {control.ref for control in response.context["page"]}
    assert refs and all(
        "amount" in (c.title + c.requirement).lower() or "amount" in c.ref.lower()
        for c in Control.objects.filter(ref__in=refs)
    )


def test_a_control_page_shows_its_references_and_equivalents(client, catalog, nobody):
    client.force_login(nobody)
    control = Control.objects.filter(equivalence_group__isnull=False, owasp__isnull=False).first()
    page = client.get(control.get_absolute_url()).content.decode()
    for text in (control.requirement, control.severity_reason, control.evidence_guidance):
        assert escape(text) in page
    reference = control.owasp.first()
    assert reference.code in page and reference.url in page
    other = control.equivalence_group.controls.exclude(pk=control.pk).first()
    assert other.ref in page


def test_a_provider_page_shows_its_incident_contact(client, catalog, nobody):
    client.force_login(nobody)
    page = client.get(reverse("checklists:provider_detail", args=["gopay"])).content.decode()
    assert "Security incident contact" in page
    assert "GOPAY-1.2" in page


def test_an_owasp_page_lists_every_mapped_control(client, catalog, nobody):
    client.force_login(nobody)
    response = client.get(reverse("checklists:owasp_detail", args=["A07:2021"]))
    page = response.content.decode()
    assert "Identification and Authentication Failures" in page
    for ref in Control.objects.filter(owasp__code="A07:2021", retired=False).values_list(
        "ref", flat=True
    ):
        assert ref in page


def test_unknown_things_are_404(client, catalog, nobody):
    client.force_login(nobody)
    assert client.get(reverse("checklists:control_detail", args=["NOPE-1"])).status_code == 404
    assert client.get(reverse("checklists:owasp_detail", args=["V99.9"])).status_code == 404
    assert client.get(reverse("checklists:provider_detail", args=["nopay"])).status_code == 404


def test_the_asvs_baseline_shows_when_asked_for(client, catalog, nobody):
    client.force_login(nobody)
    default = client.get(reverse("checklists:control_list"))
    assert not any(control.ref.startswith("ASVS-") for control in default.context["page"])
    asvs = client.get(reverse("checklists:control_list"), {"source": "owasp-asvs-4.0.3"})
    assert asvs.context["facets"]["provider"] == [
        {
            "value": "owasp-asvs-4.0.3",
            "label": "OWASP Application Security Verification Standard",
            "count": 278,
        }
    ]
    page = client.get(reverse("checklists:control_detail", args=["ASVS-V2.1.1"])).content.decode()
    assert "Verify that user set passwords are at least 12 characters" in page
    owasp = client.get(reverse("checklists:owasp_detail", args=["V2.1.1"]))
    assert "ASVS-V2.1.1" not in owasp.content.decode()
