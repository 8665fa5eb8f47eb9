"""Django set up for the benchmarks that request pages in-process (Django's test client, the
whole middleware stack, no network): production-like settings, every page rendered afresh.
Import it before anything from Django or the portal."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lpa_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Every request is rendered: the page cache and the kept parts of pages would answer the
# repeated ones.
os.environ.setdefault("PAGE_CACHE_SECONDS", "0")
os.environ.setdefault("FRAGMENT_CACHE_SECONDS", "0")
# No collectstatic here: plain static storage is enough to render pages.
os.environ.setdefault(
    "STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
)

import django  # noqa: E402

django.setup()
