"""A short-lived page cache for anonymous visitors, in Django's cache (shared in production).

Anonymous visitors see the same home page, event list, event page, repository list and search,
and resource page as each other (the views marked with `accounts.cache.anonymous_page_cache`),
so these pages are kept for `PAGE_CACHE_SECONDS` (off with 0),
keyed by the full URL (scheme, host, path, query string) and the language. A page reaches the
cache only when nothing about it can be personal:

- the request is a GET that carries no cookie but the CSRF and language cookies (no session,
  hence nobody signed in and no pending messages) and no Authorization header;
- the response is a plain 200 that sets no cookie, stored nothing in the session, was not marked
  private or no-store, and used neither the CSRF token (a form that posts) nor a CSP nonce;
- the visitor is anonymous.

Django's own cache middleware (`cache_page`, UpdateCacheMiddleware) is not used because it keys
by the Vary headers: every page reads the session for the header's "Sign in"/"My account", so
every page varies on Cookie, and Django would then store a signed-in person's page in the shared
cache under their cookie. It also sends `Cache-Control: max-age`, which would let a browser show
the signed-out page again just after signing in. Here nothing is sent to browsers and proxies.

Staff changes show to anonymous visitors once the entry expires (a short time, one minute by
default); signed-in people, staff among them, always get fresh pages.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language_from_path

from accounts.cache import PAGE_CACHE_MARK

logger = logging.getLogger(__name__)

KEY_PREFIX = "page-cache:v1:"
# Answers served from the cache say so (useful to check a deployment and in the benchmark).
HIT_HEADER = "X-Page-Cache"


def _cookies_allowed() -> frozenset[str]:
    # Cookies that an anonymous visitor may carry without the page being personal to them.
    return frozenset({settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME})


def page_cache_key(request) -> str:
    url = request.build_absolute_uri()
    digest = hashlib.sha256(f"{request.LANGUAGE_CODE}|{url}".encode()).hexdigest()
    return KEY_PREFIX + digest


def request_is_cacheable(request) -> bool:
    """Whether this request may be answered from, and its answer stored in, the page cache."""
    if settings.PAGE_CACHE_SECONDS <= 0 or request.method != "GET":
        return False
    if set(request.COOKIES) - _cookies_allowed() or "HTTP_AUTHORIZATION" in request.META:
        return False
    if get_language_from_path(request.path_info) is None:
        return False  # only language-prefixed pages, whose language is in the URL
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    # The views marked with accounts.cache.anonymous_page_cache may be served from the cache.
    return getattr(match.func, PAGE_CACHE_MARK, False)


def response_is_cacheable(request, response) -> bool:
    """Whether the answer to a cacheable request holds nothing personal to the visitor."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False  # SessionMiddleware, further out, will set a cookie
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False  # the page holds a CSRF token: a form that posts
    if isinstance(getattr(request, "_csp_nonce", None), str):
        return False  # the nonce is per response
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


class AnonymousPageCacheMiddleware:
    """Serve anonymous visitors' pages from the cache; see the module docstring for the rules.

    Placed after LocaleMiddleware (the language is known and the URL resolves) and before
    CommonMiddleware: a hit skips everything after it, the view included.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request_is_cacheable(request):
            return self.get_response(request)
        key = page_cache_key(request)
        # The cache is an optimisation: while it is unreachable (each backend raises its own
        # errors), pages are made as if it were off.
        try:
            stored = cache.get(key)
        except Exception:
            logger.warning(
                "Page cache unreachable; serving %s uncached", request.path, exc_info=True
            )
            return self.get_response(request)
        if stored is not None:
            return self._rebuild(stored)
        response = self.get_response(request)
        if response_is_cacheable(request, response):
            value = (response.status_code, list(response.items()), response.content)
            try:
                cache.set(key, value, settings.PAGE_CACHE_SECONDS)
            except Exception:
                logger.warning("Page cache unreachable; %s not stored", request.path, exc_info=True)
        return response

    @staticmethod
    def _rebuild(stored) -> HttpResponse:
        status, headers, content = stored
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response[HIT_HEADER] = "hit"
        # The page was made from a request that read the session, like every page.
        patch_vary_headers(response, ("Cookie",))
        return response
