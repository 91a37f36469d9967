"""Every model in the admin: its list (with search and each filter) and its add or change page."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.checklists.assessment_helpers import answer, attestation_of, make_checklist, upload


@pytest.fixture
def populated(catalog, team, lead, member):
    checklist = make_checklist(team, lead)
    item = answer(attestation_of(checklist, "GOPAY-1.2"), member)
    upload(item, member)


def _admin_models():
    return sorted(admin.site._registry.items(), key=lambda pair: pair[0]._meta.label)


@pytest.mark.parametrize(
    "model, model_admin", _admin_models(), ids=lambda value: getattr(value, "__name__", "")
)
def test_every_admin_list_and_search_answers(client, populated, admin_user, model, model_admin):
    client.force_login(admin_user)
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    if model_admin.search_fields:
        assert client.get(changelist, {"q": "kopi"}).status_code == 200
    first = model._default_manager.first()
    if first is not None:
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
        assert client.get(change).status_code == 200
