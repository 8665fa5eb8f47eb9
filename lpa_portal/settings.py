"""Settings for LPA Portal.

One settings module; every difference between deployments is read from the environment
(django-environ), with defaults that serve a local run with no set-up. See `.env.example` and the
settings table in README.md for every variable.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local `.env` file is optional. A deployment keeps its settings in one file that every process
# of every app server reads, named by ENV_FILE (e.g. /etc/lpa-portal/env). Real environment
# variables win over the file.
_ENV_FILE = Path(os.environ.get("ENV_FILE") or BASE_DIR / ".env")
if _ENV_FILE.is_file():
    env.read_env(_ENV_FILE, overwrite=False)
elif os.environ.get("ENV_FILE"):
    raise ImproperlyConfigured(f"ENV_FILE names {_ENV_FILE}, which is not a file.")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Set DEBUG=true for a local run, "
            "or give SECRET_KEY a long random value in production."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The port a local run serves on (`make run PORT=8080` sets it): the default SITE_URL follows it,
# so that links in emails and certificates lead to the running server.
PORT = env.int("PORT", default=8000)
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")

# --- Applications -----------------------------------------------------------------------------

INSTALLED_APPS = [
    "lpa_portal.apps.PortalAdminConfig",  # Django's admin, with the portal's AdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django.forms",
    "allauth",
    "allauth.account",
    "django_countries",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "csp",
    # Before accounts: accounts/admin.py replaces auditlog's admin of the trail with a
    # superuser-only one.
    "auditlog",
    "accounts",
    "repository",
    "events",
    "lpa_portal",  # the project's own commands and template tags
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lpa_portal.middleware.RejectNulBytesMiddleware",
    "lpa_portal.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Outside the page cache, so that pages from it remember the language too.
    "lpa_portal.middleware.LanguageCookieMiddleware",
    # After the locale (the language is known), before everything a cached page can skip.
    "lpa_portal.page_cache.AnonymousPageCacheMiddleware",
    # Anonymous public pages that the page cache did not answer read the replica, if there is one.
    "lpa_portal.db_router.ReplicaReadsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: the audit trail records the signed-in person as the actor.
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "lpa_portal.urls"
WSGI_APPLICATION = "lpa_portal.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lpa_portal.context_processors.portal",
                "lpa_portal.context_processors.content_cache",
            ],
        },
    },
]

# --- Database and cache -----------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# A streaming replica of the primary (PostgreSQL physical replication): the reads of anonymous
# visitors' public pages go to it while it is up and not lagging (lpa_portal/db_router.py).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    # Tests have no replica: this alias reads the test database of the primary.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["lpa_portal.db_router.PrimaryReplicaRouter"]
# Past this many seconds behind the primary, the replica is left alone until it has caught up.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=10)
_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        # Persistent connections, checked before reuse so that a restarted server is survived.
        _database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        _database["CONN_HEALTH_CHECKS"] = True
        # An unreachable server fails a request within seconds (the 503 page) instead of hanging
        # it; a server cut off the network mid-query too (unacknowledged data, in milliseconds).
        _options = _database.setdefault("OPTIONS", {})
        _options.setdefault("connect_timeout", _CONNECT_TIMEOUT)
        _options.setdefault("tcp_user_timeout", _CONNECT_TIMEOUT * 1000)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The shared cache of production (redis://[:password@]host:6379/1, Django's Redis backend with
# the redis client); process-local memory for a local run.
CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
    # The same cache for the parts of pages (`{% cache %}`), through a wrapper that treats an
    # unreachable cache as a miss (accounts/cache.py).
    "template_fragments": {"BACKEND": "accounts.cache.FailSafeCache", "LOCATION": "default"},
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A cache that does not answer fails fast: pages are then made without it (page cache, kept
    # parts), sign-in refuses with a message (its rate limits count there). Options in the
    # URL's query string win (?socket_timeout=2).
    _options = CACHES["default"].setdefault("OPTIONS", {})
    _options.setdefault("socket_connect_timeout", env.float("CACHE_TIMEOUT_SECONDS", default=0.5))
    _options.setdefault("socket_timeout", env.float("CACHE_TIMEOUT_SECONDS", default=0.5))
# Sessions stay in the database: losing the cache signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Anonymous visitors' pages are kept this many seconds in that cache (lpa_portal/page_cache.py);
# 0 turns the page cache off, as for a local run, where pages should change at once.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=0 if DEBUG else 60)
# The parts of pages that are the same for every visitor of a kind (lists, the body of an event or
# resource page) are kept this long in that cache, for everyone, signed in or not
# (accounts/cache.py). A change to the content shows at once; 0 turns it off.
FRAGMENT_CACHE_SECONDS = env.int("FRAGMENT_CACHE_SECONDS", default=120)

# --- Accounts -----------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:overview"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Adding, changing or removing an email address asks for the password again (allauth's
# reauthentication flow), so that a click in a signed-in session cannot hand the account to
# someone else's address; changing the password asks for the current one.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[LPA Portal] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
# allauth's rate limits are on by default; they are stated here so that nobody turns them off
# by accident. They count in the cache, which is shared between processes in production.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}

# Behind N proxies (the load balancer), the visitor's address is the N-th from the right in
# X-Forwarded-For; used by allauth's rate limits and the download counter.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Internationalisation ---------------------------------------------------------------------

_KNOWN_LANGUAGES = {
    "en": _("English"),
    "fr": _("French"),
    "es": _("Spanish"),
    "ar": _("Arabic"),
    "ru": _("Russian"),
    "zh-hans": _("Chinese"),
}
_language_codes = env.list("LANGUAGES", default=["en", "fr", "es", "ar", "ru", "zh-hans"])
_unknown = [code for code in _language_codes if code not in _KNOWN_LANGUAGES]
if _unknown:
    raise ImproperlyConfigured(
        f"LANGUAGES holds unknown codes {_unknown}; choose among {sorted(_KNOWN_LANGUAGES)}."
    )
LANGUAGES = [(code, _KNOWN_LANGUAGES[code]) for code in _language_codes]
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default=_language_codes[0])
LOCALE_PATHS = [BASE_DIR / "locale"]
# Content that staff write: the source column is English; django-modeltranslation adds a column
# per other language (accounts/content_languages.py). Fixed, whatever LANGUAGES a site offers,
# so that migrations do not depend on the environment.
MODELTRANSLATION_LANGUAGES = [code for code in _KNOWN_LANGUAGES if code != "en"]
# International English dates ("10 September 2024"), as WHO writes them.
FORMAT_MODULE_PATH = ["lpa_portal.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Uploaded files only through the storage API, in two storages: "default" holds public images
# (event banners and their renditions), served at MEDIA_URL; "protected" holds the repository's
# files, which may be restricted, embargoed or withdrawn: never served by a URL, only through the
# download view (repository/storage.py). A local run keeps them in two folders; production in two
# buckets of an S3-compatible object store (django-storages' S3 backend with boto3), public
# images in one, protected files in a private one.
PROTECTED_MEDIA_ROOT = Path(
    env.str("PROTECTED_MEDIA_ROOT", default=str(BASE_DIR / "var" / "protected"))
)
S3_STORAGE = "storages.backends.s3.S3Storage"
_default_storage = env.str(
    "DEFAULT_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage"
)
_protected_storage = env.str(
    "PROTECTED_FILE_STORAGE", default="repository.storage.ProtectedFileSystemStorage"
)
STORAGES = {
    "default": {"BACKEND": _default_storage},
    "protected": {"BACKEND": _protected_storage},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
if S3_STORAGE in (_default_storage, _protected_storage):
    from botocore.config import Config

    # A store that does not answer fails an upload or a download within seconds (a clear
    # message, nothing half-written) rather than holding the request.
    _store_timeout = env.float("STORAGE_TIMEOUT_SECONDS", default=5)
    _s3 = {
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
        # Two uploads of the same name keep both, as in a folder.
        "file_overwrite": False,
        "client_config": Config(
            signature_version="s3v4",
            s3={"addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="auto")},
            connect_timeout=_store_timeout,
            read_timeout=_store_timeout,
            retries={"max_attempts": 2, "mode": "standard"},
        ),
    }
    # Without keys in the environment, boto3 finds them itself (an instance role, ~/.aws).
    for _option, _variable in (
        ("access_key", "AWS_ACCESS_KEY_ID"),
        ("secret_key", "AWS_SECRET_ACCESS_KEY"),
    ):
        if env.str(_variable, default=""):
            _s3[_option] = env.str(_variable)
    if _default_storage == S3_STORAGE:
        STORAGES["default"]["OPTIONS"] = {
            **_s3,
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            # Public images: plain URLs under the portal's own address (the web server passes
            # /media/ to the bucket), so that the Content Security Policy's 'self' allows them.
            "querystring_auth": False,
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
            "url_protocol": env.str("AWS_S3_URL_PROTOCOL", default="https:"),
        }
    if _protected_storage == S3_STORAGE:
        STORAGES["protected"]["OPTIONS"] = {
            **_s3,
            "bucket_name": env.str("AWS_PROTECTED_BUCKET_NAME"),
            # Only the web server fetches a signed URL, right after the download view made it
            # (X-Accel-Redirect); it is never shown to the visitor.
            "querystring_auth": True,
            "querystring_expire": 60,
        }
# Repository uploads: the largest file staff may upload.
RESOURCE_MAX_UPLOAD_MB = env.int("RESOURCE_MAX_UPLOAD_MB", default=50)
# Behind nginx or Apache, let the web server send repository files after the portal checked
# access: "X-Accel-Redirect" (nginx, with an internal location at DOWNLOAD_INTERNAL_PREFIX) or
# "X-Sendfile"; empty: the portal streams the file itself through the storage API.
DOWNLOAD_SENDFILE_HEADER = env.str("DOWNLOAD_SENDFILE_HEADER", default="")
DOWNLOAD_INTERNAL_PREFIX = env.str("DOWNLOAD_INTERNAL_PREFIX", default="/protected-media/")
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# --- Email --------------------------------------------------------------------------------------

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LPA Portal <noreply@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
ADMINS = [("", address) for address in env.list("ADMINS", default=[])]
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="lpa@example.org")

# --- Background tasks ---------------------------------------------------------------------------

# Emails and PDF text extraction run as background tasks (django-tasks). A local run and the tests
# run them in-process as soon as they are queued; production queues them in the database and runs
# `manage.py db_worker` beside the app processes.
TASKS = {
    "default": {
        "BACKEND": env.str(
            "TASK_BACKEND", default="django_tasks.backends.immediate.ImmediateBackend"
        ),
    }
}
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=8)
# Registration answers of events that ended longer ago than this are anonymised.
REGISTRATION_RETENTION_DAYS = env.int("REGISTRATION_RETENTION_DAYS", default=730)

# --- Audit trail -------------------------------------------------------------------------------

# Who changed what and when (django-auditlog), for superusers in the admin. Secret and bulky fields
# are never stored (password hashes, search documents, text extracted from files, derived image
# data); a change of a person's name, email, organisation or job title is recorded without the
# values, so that deleting an account leaves none of them in the trail. Registrations are tracked
# by their status and attendance only (their answers and profile snapshot are personal data; the
# reasons of status changes are in their own history). Changes outside a request (commands,
# tasks) have no actor. IP addresses are not stored (behind proxies they could be forged anyway).
_AUDIT_NOT_TRACKED = ["created_at", "updated_at"]
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {
        "model": "accounts.User",
        "exclude_fields": ["password", "last_login"],
        "mask_fields": ["email", "full_name", "organisation", "job_title"],
        "mask_callable": "accounts.audit.mask_personal_data",
        "m2m_fields": ["groups", "user_permissions"],
    },
    {
        "model": "events.Event",
        "exclude_fields": [
            *_AUDIT_NOT_TRACKED,
            "banner_renditions",
            "banner_width",
            "banner_height",
        ],
        "m2m_fields": [
            "audiences",
            "product_areas",
            "topics",
            "languages",
            "partners",
            "materials",
        ],
    },
    {"model": "events.Session", "m2m_fields": ["speakers", "resources"]},
    {
        "model": "events.Registration",
        "include_fields": [
            "event",
            "user",
            "status",
            "invitation",
            "waitlisted_at",
            "attended",
            "anonymised_at",
        ],
    },
    {
        "model": "repository.Resource",
        "exclude_fields": [
            *_AUDIT_NOT_TRACKED,
            "search_metadata",
            "search_full",
            "download_count",
            "publication_year",
        ],
        "m2m_fields": ["topics", "audiences", "product_areas", "regions"],
    },
    {
        "model": "repository.ResourceFile",
        "exclude_fields": [*_AUDIT_NOT_TRACKED, "extracted_text"],
    },
)
AUDITLOG_DISABLE_REMOTE_ADDR = True
# No correlation id from a request header: a visitor would choose it, and one longer than its
# column would make the change it goes with fail.
AUDITLOG_CID_HEADER = None

# --- Security -----------------------------------------------------------------------------------

# Behind a load balancer that terminates TLS and sets X-Forwarded-Proto.
if env.bool("BEHIND_PROXY", default=not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers check health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# A strict Content Security Policy: no inline scripts or styles anywhere, no other host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logging ------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # fontTools logs every glyph of each certificate's font subset at INFO.
        "fontTools": {"level": "WARNING"},
    },
}

FORM_RENDERER = "lpa_portal.forms.PortalFormRenderer"
