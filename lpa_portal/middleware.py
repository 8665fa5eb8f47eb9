"""Requests no page can answer sensibly are refused before any view runs."""

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


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
