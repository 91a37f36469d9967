"""Every refusal the API gives, in one JSON shape.

    {"detail": "<what went wrong, in a sentence>", "code": "<machine-readable>",
     "errors": {"<field>": ["<message>", ...]}}        (errors: only for invalid input)

`detail` is what a person or a pipeline's log should show: for invalid input it is the first
message, prefixed by its field, so a client that prints only `detail` still says what to fix.
The services' refusals (Django's ValidationError: a secret found, a wrong file type, a period
out of order) are answered 400 with their own words, like the pages show them.
"""

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

INPUT_ERRORS = "errors"


def with_api_field_names(error: DjangoValidationError, names: dict[str, str]):
    """The service's refusal with its fields named as the API names them."""
    if not hasattr(error, "error_dict"):
        return error
    return DjangoValidationError(
        {names.get(field, field): messages for field, messages in error.error_dict.items()}
    )


def _field_messages(error: DjangoValidationError) -> dict[str, list[str]]:
    """A service's refusal keyed by field, its general messages under `non_field_errors`."""
    general = api_settings.NON_FIELD_ERRORS_KEY
    if hasattr(error, "error_dict"):
        return {
            (general if field == NON_FIELD_ERRORS else field): [str(m) for m in messages]
            for field, messages in as_serializer_error(error).items()
        }
    return {general: [str(message) for message in error.messages]}


def _first_message(errors: dict[str, list]) -> str:
    general = api_settings.NON_FIELD_ERRORS_KEY
    for field, messages in sorted(errors.items(), key=lambda item: item[0] != general):
        if isinstance(messages, dict):  # a nested serializer's errors
            return f"{field}: {_first_message(messages)}"
        message = str(messages[0]) if isinstance(messages, list) else str(messages)
        return message if field == general else f"{field}: {message}"
    return "The request is not valid."


def api_exception_handler(exc, context) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        errors = _field_messages(exc)
        return Response(
            {"detail": _first_message(errors), "code": "invalid", INPUT_ERRORS: errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        # The upload handlers refuse a body larger than evidence may be before reading it.
        return Response(
            {"detail": str(exc).capitalize() + ".", "code": "too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = (
            response.data
            if isinstance(response.data, dict)
            else {api_settings.NON_FIELD_ERRORS_KEY: response.data}
        )
        response.data = {"detail": _first_message(errors), "code": "invalid", INPUT_ERRORS: errors}
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "detail": str(response.data.get("detail", exc.detail)),
            "code": codes if isinstance(codes, str) else "error",
        }
    elif response.status_code == status.HTTP_404_NOT_FOUND:  # Django's Http404: says nothing
        response.data = {"detail": "Not found.", "code": "not_found"}
    else:  # Django's PermissionDenied
        response.data = {"detail": "You may not do this.", "code": "permission_denied"}
    return response


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in a sentence.")
    code = serializers.CharField(help_text="e.g. invalid, not_found, permission_denied, throttled")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For invalid input: the messages of each field (non_field_errors: general).",
    )


ERROR_RESPONSES = {
    400: ErrorSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
    429: ErrorSerializer,
}
UPLOAD_ERROR_RESPONSES = {**ERROR_RESPONSES, 413: ErrorSerializer}
