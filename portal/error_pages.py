"""The portal's own 404 and 400 pages on local runs too.

With DEBUG on, Django answers a missing page or a bad request with its technical page (URL
patterns, settings). Someone trying the portal locally should see what users see in
production, so this middleware renders the project's error handlers instead. Server errors
keep Django's technical 500 page: developers need the traceback. With DEBUG off the middleware
is not loaded at all and Django's own handling applies unchanged.
"""

import logging

from django.conf import settings
from django.core.exceptions import BadRequest, MiddlewareNotUsed, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import get_resolver, get_urlconf


class PortalErrorPagesMiddleware:
    def __init__(self, get_response):
        if not settings.DEBUG:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No view ran: the URL matched no pattern, which Django answered with its technical 404.
        if response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            return _error_page(request, 404, Http404(request.path))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, Http404):
            return _error_page(request, 404, exception)
        if isinstance(exception, SuspiciousOperation):
            # Logged as Django logs it, so a refused upload still says why in the log.
            logging.getLogger(f"django.security.{exception.__class__.__name__}").error(
                str(exception), exc_info=exception, extra={"status_code": 400, "request": request}
            )
        if isinstance(exception, (BadRequest, SuspiciousOperation)):
            return _error_page(request, 400, exception)
        return None


def _error_page(request: HttpRequest, status: int, exception: Exception) -> HttpResponse:
    handler = get_resolver(get_urlconf()).resolve_error_handler(status)
    return handler(request, exception=exception)
