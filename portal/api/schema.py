"""How the OpenAPI schema describes the API's authentication."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api.authentication.BearerTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`Authorization: Bearer cpt_…`), made under Your "
            "API tokens or, for a service account, on the team's service accounts page. It "
            "reaches its own team only; the read scope reads, the evidence-write scope also "
            "uploads evidence.",
        }
