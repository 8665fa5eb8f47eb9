from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.generic import TemplateView

from accounts.cache import anonymous_page_cache
from lpa_portal.health import healthz
from lpa_portal.sitemaps import SITEMAPS
from lpa_portal.views import AboutView, HomeView, favicon

# A database outage outside any view gets the 503 page too (see lpa_portal.middleware).
handler500 = "lpa_portal.views.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain; charset=utf-8"),
        name="robots",
    ),
    path("admin/reports/", include("lpa_portal.report_urls")),
    path("admin/", admin.site.urls),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
]

urlpatterns += i18n_patterns(
    path("", anonymous_page_cache(HomeView.as_view()), name="home"),
    path("about/", AboutView.as_view(), name="about"),
    path("privacy/", TemplateView.as_view(template_name="pages/privacy.html"), name="privacy"),
    path(
        "accessibility/",
        TemplateView.as_view(template_name="pages/accessibility.html"),
        name="accessibility",
    ),
    path("contact/", TemplateView.as_view(template_name="pages/contact.html"), name="contact"),
    path("", include("events.urls")),
    path("", include("repository.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
