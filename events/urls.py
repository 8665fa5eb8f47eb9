from django.urls import path

from accounts.cache import anonymous_page_cache
from events import feeds, views

app_name = "events"

urlpatterns = [
    path("events/", anonymous_page_cache(views.EventListView.as_view()), name="list"),
    path("events/calendar.ics", feeds.upcoming_ics, name="ics_upcoming"),
    path("events/feed/", feeds.LatestEventsFeed(), name="atom"),
    path(
        "events/<slug:slug>/",
        anonymous_page_cache(views.EventDetailView.as_view()),
        name="detail",
    ),
    path("events/<slug:slug>/calendar.ics", feeds.event_ics, name="ics"),
    path(
        "events/<slug:slug>/notify-me/",
        views.RegistrationNoticeView.as_view(),
        name="registration_notice",
    ),
    path("programmes/<slug:slug>/", views.ProgrammeDetailView.as_view(), name="programme"),
    path("my/registrations/", views.MyRegistrationsView.as_view(), name="my_registrations"),
    path(
        "my/registrations/<int:pk>/cancel/",
        views.CancelRegistrationView.as_view(),
        name="registration_cancel",
    ),
    path("programmes/<slug:slug>/calendar.ics", feeds.programme_ics, name="ics_programme"),
    path(
        "my/registrations/<int:pk>/certificate.pdf",
        views.CertificateDownloadView.as_view(),
        name="certificate_download",
    ),
    path("my/registrations/<int:pk>/feedback/", views.FeedbackView.as_view(), name="feedback"),
    path("my/alerts/", views.AlertListView.as_view(), name="alerts"),
    path("my/alerts/new/", views.AlertCreateView.as_view(), name="alert_create"),
    path("my/alerts/<int:pk>/", views.AlertEditView.as_view(), name="alert_edit"),
    path("my/alerts/<int:pk>/delete/", views.AlertDeleteView.as_view(), name="alert_delete"),
    path(
        "alerts/unsubscribe/<str:token>/",
        views.AlertUnsubscribeView.as_view(),
        name="alerts_unsubscribe",
    ),
    path("certificates/", views.CertificateLookupView.as_view(), name="certificate_lookup"),
    path(
        "certificates/<str:code>/",
        views.CertificateVerifyView.as_view(),
        name="certificate_verify",
    ),
]
