"""The staff reports, under /admin/reports/: behind the admin's login like every admin page."""

from django.contrib import admin
from django.urls import path

from lpa_portal import reports

app_name = "reports"

urlpatterns = [
    path("", admin.site.admin_view(reports.index_view), name="index"),
    path("reach/", admin.site.admin_view(reports.reach_view), name="reach"),
    path("downloads/", admin.site.admin_view(reports.downloads_view), name="downloads"),
    path("searches/", admin.site.admin_view(reports.searches_view), name="searches"),
]
