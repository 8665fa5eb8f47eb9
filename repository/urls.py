from django.urls import path

from accounts.cache import anonymous_page_cache
from repository import downloads, feeds, views

app_name = "repository"

urlpatterns = [
    path("resources/", anonymous_page_cache(views.ResourceListView.as_view()), name="list"),
    path("resources/feed/", feeds.LatestResourcesFeed(), name="atom"),
    path(
        "resources/<slug:slug>/",
        anonymous_page_cache(views.ResourceDetailView.as_view()),
        name="detail",
    ),
    path(
        "resources/<slug:slug>/files/<int:file_id>/download/",
        downloads.download,
        name="download",
    ),
    path(
        "resources/<slug:slug>/files/<int:file_id>/request-access/",
        views.AccessRequestView.as_view(),
        name="access_request",
    ),
    path("topics/<slug:slug>/", views.TopicDetailView.as_view(), name="topic"),
    path("topics/<slug:slug>/feed/", feeds.TopicResourcesFeed(), name="topic_atom"),
]
