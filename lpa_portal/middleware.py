"""Requests no page can answer sensibly are refused before any view runs, and an outage of a
service the portal needs (the database, the shared cache where a rate limit must count, the file
store) is answered with a friendly 503 page rather than a server error."""

import logging

import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils.translation import get_language_from_path
from django.utils.translation import gettext as _

from repository.storage import storage_unavailable

logger = logging.getLogger(__name__)

# What the database driver raises when the server is down or the connection was cut.
DATABASE_ERRORS = (OperationalError, InterfaceError)
# What the shared cache's client raises when Redis is down or cut off. Pages and kept parts do
# without the cache (they catch this themselves); what reaches a view is a rate limit that must
# count before it lets anyone try (sign-in, sign-up, password reset): refused, "fail closed".
CACHE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# How long browsers and crawlers are asked to wait before they try again.
RETRY_AFTER_SECONDS = 30


class RejectNulBytesMiddleware:
    """A NUL byte in the path or the query string is never meaningful, and PostgreSQL refuses it
    in any text: answer 400 rather than letting it reach a query and fail there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "").lower()
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return HttpResponseBadRequest(_("The request contains a NUL character."))
        return self.get_response(request)


def unavailable_service(error: BaseException) -> str | None:
    """Which service an error says is unavailable: "database", "cache", "files" or None."""
    if isinstance(error, DATABASE_ERRORS):
        return "database"
    if isinstance(error, CACHE_ERRORS):
        return "cache"
    if storage_unavailable(error):
        return "files"
    return None


def service_unavailable_response(request, error: BaseException, service: str) -> HttpResponse:
    """The 503 page of an outage of `service`, rendered without a request context so that
    nothing on it touches the database or the cache again; the outage is logged."""
    first_line = (str(error).strip().splitlines() or [""])[0]
    logger.error(
        "%s unavailable, %s %s answered with 503: %s: %s",
        service.capitalize(),
        request.method,
        request.path,
        type(error).__name__,
        first_line,
    )
    # A GET is retried where it was; anything else from the home page (its form data is gone).
    retry_url = request.get_full_path() if request.method in ("GET", "HEAD") else "/"
    response = HttpResponse(
        render_to_string("503.html", {"retry_url": retry_url, "service": service}), status=503
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """While the database is down (restarting, failing over, unreachable), pages are answered
    with a short "try again shortly" page, status 503 and Retry-After, instead of a server error.
    So are the actions that need the shared cache (rate limits) while it is down, and the
    downloads and uploads that need the file store while it is, each page saying which.

    Django closes the broken connection at the end of the request and CONN_HEALTH_CHECKS replaces
    a stale one at the start of the next, so the portal recovers by itself when the database is
    back; the cache and the store clients connect again by themselves too. (An error raised in
    another middleware is caught by `handler500`.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        service = unavailable_service(exception)
        if service is not None:
            return service_unavailable_response(request, exception, service)
        return None


class LanguageCookieMiddleware:
    """Remember the language of the pages a visitor reads in the language cookie, so that the
    address without a language (`/`, a link someone shortened) opens in it next time.

    It stands outside the page cache: a page answered from the cache gets the cookie too, and
    the page cache, which stores no page that sets a cookie, never sees this one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        language = get_language_from_path(request.path_info)
        if (
            language
            and request.method in ("GET", "HEAD")
            and response.status_code < 400
            and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language
        ):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
