"""The API's description: the OpenAPI schema, its docs page, and the pipeline client."""

from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal.api import schema  # noqa: F401  (registers how the token authentication is described)

CLIENT = Path(__file__).resolve().parent.parent / "client" / "upload_evidence.py"


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema (YAML; ?format=json for JSON). It holds no data: anyone may read it."""


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI, its script served apart from the page so the Content-Security-Policy can
    keep forbidding inline scripts; its assets come from the portal's own static files."""

    url_name = "api:schema"
    template_name = "api/swagger_ui.html"


@require_GET
def upload_client(request: HttpRequest) -> HttpResponse:
    """The pipeline client, for `curl -O`: a standard-library Python script."""
    response = HttpResponse(CLIENT.read_bytes(), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="upload_evidence.py"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
