"""The admin of the answers to the survey after an event."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from events.admin.base import ReadOnlyAdminMixin
from events.models import Event, Feedback


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The answers to the survey after an event, without the names of who gave them."""

    list_display = ("event", "rating", "most_useful_session", "topics_wanted", "created_at")
    list_filter = (("registration__event", admin.RelatedOnlyFieldListFilter), "rating")
    list_select_related = ("registration__event", "most_useful_session")
    search_fields = ("topics_wanted", "comments")
    ordering = ("-created_at",)
    list_per_page = 100
    show_full_result_count = False
    fields = ("event", "rating", "most_useful_session", "topics_wanted", "comments", "created_at")
    readonly_fields = fields

    @admin.display(description=_("event"), ordering="registration__event__start")
    def event(self, obj: Feedback) -> Event:
        return obj.registration.event
