"""Schemathesis against the API's own schema, through the WSGI application, with a lead's real
evidence-write token: every operation (the reads and both uploads) gets generated inputs and
must never answer with a server error.

Half of the examples use the generated path values (a team, period or control that does not
exist); the other half point at the team's real checklist, answer, occurrence and report, so
the generated query strings and upload bodies reach the services behind them.
"""

import itertools

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from tests.api.conftest import REF, make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_token(team, lead) -> str:
    """The lead's evidence-write token: it reaches every operation, reports included."""
    return make_token(team, lead, name="Fuzzing")


@pytest.fixture
def real_objects(checklist, team, period, occurrence, report) -> dict[str, str]:
    return {
        "slug": team.slug,
        "period": period,
        "ref": REF,
        "occurrence": str(occurrence.pk),
        "report": str(report.pk),
    }


def _own_schema() -> schemathesis.schemas.BaseSchema:
    """The schema /api/schema/ serves (test_schema.py checks they are the same), made in
    process at collection, bound to the portal's WSGI application."""
    from drf_spectacular.generators import SchemaGenerator

    loaded = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    loaded.app = WSGIHandler()
    return loaded


schema = _own_schema()


@pytest.fixture
def _keep_the_test_connection():
    """A WSGI server closes the database connection at the end of each request, which here
    would end the test's transaction; the test client keeps it the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


_turn = itertools.count()


def _point_at_real_objects(case, real: dict[str, str]) -> None:
    path = case.operation.path
    values = {"slug": real["slug"], "period": real["period"], "ref": real["ref"]}
    if "/occurrences/" in path:
        values["id"] = real["occurrence"]
    elif "/reports/" in path:
        values["id"] = real["report"]
    for name in case.path_parameters or {}:
        if name in values:
            case.path_parameters[name] = values[name]


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_with_a_server_error(
    case, settings, lead_token, real_objects, _keep_the_test_connection
):
    settings.ALLOWED_HOSTS = ["localhost"]  # the WSGI client's host
    if next(_turn) % 2:
        _point_at_real_objects(case, real_objects)
    headers = {"Authorization": f"Bearer {lead_token}"}
    case.call_and_validate(headers=headers, checks=[not_a_server_error])
