"""The OpenAPI schema: valid without a warning, served to anyone, every operation tagged and
described; the docs page and the pipeline client it points to."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator

CLIENT = Path(__file__).resolve().parents[2] / "portal" / "api" / "client" / "upload_evidence.py"
NOT_IN_SCHEMA = {"schema", "docs", "client_upload_evidence"}


def test_the_schema_validates_without_a_warning(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=StringIO()
    )
    assert out.read_text().startswith("openapi: 3.")


def _api_routes() -> set[str]:
    api = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "api")
    return {p.name for p in api.url_patterns if p.name not in NOT_IN_SCHEMA}


@pytest.mark.django_db
def test_the_schema_is_served_to_anyone_and_describes_every_operation(client):
    response = client.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    served = response.json()
    assert served == SchemaGenerator().get_schema(request=None, public=True)  # as fuzzed
    assert served["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": served["components"]["securitySchemes"]["apiToken"]["description"],
    }
    operations = [
        (path, method, operation)
        for path, item in served["paths"].items()
        for method, operation in item.items()
    ]
    assert len({path for path, _, _ in operations}) == len(_api_routes())
    tags = {tag["name"] for tag in served["tags"]}
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation.get("summary") and operation.get("description"), where
        assert operation["tags"] and set(operation["tags"]) <= tags, where
        assert {"apiToken": []} in operation["security"], where
        assert "401" in operation["responses"] and "404" in operation["responses"], where
    uploads = [op for _, method, op in operations if method == "post"]
    assert len(uploads) == 2
    for upload in uploads:
        assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]
        assert {"400", "403", "413"} <= set(upload["responses"])


@pytest.mark.django_db
def test_the_docs_page_takes_nothing_from_other_origins_and_runs_no_inline_script(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="' in attributes for attributes in scripts)
    assert "<style" not in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    assert any("swagger-ui-bundle.js" in s for s in sources), "drf-spectacular-sidecar missing?"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    init = client.get(reverse("api:docs") + "?script=")
    assert init.status_code == 200 and init["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in init.content.decode()


def test_the_pipeline_client_is_served_as_kept_in_the_repository(client):
    response = client.get("/api/client/upload_evidence.py")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-python; charset=utf-8"
    assert response.content == CLIENT.read_bytes()
