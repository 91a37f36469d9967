from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from checklists.forms import CatalogFilterForm
from checklists.models import Control, OwaspReference, Provider, SourceKind
from checklists.selectors import catalog as selectors

PAGE_SIZE = 50


@login_required
@require_GET
def control_list(request: HttpRequest) -> HttpResponse:
    form = CatalogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    matching = selectors.catalog_search(**filters)
    page = Paginator(
        selectors.controls_with_details(include_retired=True)
        .filter(pk__in=matching.values("pk"))
        .order_by("source__provider__name", "position"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "checklists/control_list.html",
        {
            "form": form,
            "page": page,
            "facets": selectors.catalog_facets(matching),
            "query": query.urlencode(),
        },
    )


@login_required
@require_GET
def control_detail(request: HttpRequest, ref: str) -> HttpResponse:
    control = get_object_or_404(selectors.controls_with_details(include_retired=True), ref=ref)
    equivalents = []
    if control.equivalence_group_id:
        equivalents = (
            Control.objects.filter(equivalence_group_id=control.equivalence_group_id, retired=False)
            .exclude(pk=control.pk)
            .select_related("source__provider")
            .order_by("ref")
        )
    return render(
        request, "checklists/control_detail.html", {"control": control, "equivalents": equivalents}
    )


@login_required
@require_GET
def provider_detail(request: HttpRequest, slug: str) -> HttpResponse:
    provider = get_object_or_404(Provider, slug=slug)
    controls = (
        Control.objects.filter(source__provider=provider, retired=False)
        .select_related("source")
        .prefetch_related(
            Prefetch("owasp", queryset=OwaspReference.objects.order_by("standard", "position"))
        )
        .order_by("source__title", "position")
    )
    return render(
        request, "checklists/provider_detail.html", {"provider": provider, "controls": controls}
    )


@login_required
@require_GET
def owasp_detail(request: HttpRequest, code: str) -> HttpResponse:
    reference = get_object_or_404(OwaspReference, code=code)
    controls = (
        reference.controls.filter(retired=False, source__kind=SourceKind.PROVIDER_GUIDE)
        .select_related("source__provider")
        .order_by("source__provider__name", "position")
    )
    return render(
        request, "checklists/owasp_detail.html", {"reference": reference, "controls": controls}
    )
