"""Values every template needs: the portal's name, contact address and language links."""

from django.conf import settings
from django.urls import translate_url
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language, get_language_info

from accounts.cache import content_versions, viewer_kind


def portal(request):
    current = get_language()
    # Always a path on this site: a request for `//evil.example/en/` (or `/\\evil.example/`)
    # must not give links that browsers read as another host.
    path = "/" + request.get_full_path().lstrip("/\\")
    language_links = [
        {
            "code": code,
            "name": get_language_info(code)["name_local"],
            "url": translate_url(path, code),
            "current": code == current,
        }
        for code, _name in settings.LANGUAGES
    ]
    return {
        "SITE_NAME": "LPA Portal",
        "CONTACT_EMAIL": settings.CONTACT_EMAIL,
        "language_links": language_links,
    }


def content_cache(request):
    """What the `{% cache %}` blocks of templates are keyed by (see accounts/cache.py), each
    worked out only when a template asks."""
    return {
        "CACHE_SECONDS": settings.FRAGMENT_CACHE_SECONDS,
        "content_versions": SimpleLazyObject(content_versions),
        "viewer_kind": SimpleLazyObject(lambda: viewer_kind(request.user)),
    }
