"""What people follow (alerts of new events and resources), for staff to look up."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from events.admin.base import ReadOnlyAdminMixin
from events.models import AlertSubscription


@admin.register(AlertSubscription)
class AlertSubscriptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What people follow, for staff to answer "why did I (not) get this alert?"; read-only:
    people manage their alerts themselves, in My account."""

    list_display = ("user", "follows", "frequency", "created_at")
    list_filter = ("frequency", "new_events", "new_resources")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    list_per_page = 100
    show_full_result_count = False
    fields = (
        "user",
        "new_events",
        "new_resources",
        "programmes",
        "topics",
        "regions",
        "product_areas",
        "frequency",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("programmes", "topics", "regions", "product_areas")
        )

    @admin.display(description=_("follows"))
    def follows(self, obj):
        kinds = [_("events")] if obj.new_events else []
        kinds += [_("resources")] if obj.new_resources else []
        narrowed = [
            str(value)
            for values in (obj.programmes, obj.topics, obj.regions, obj.product_areas)
            for value in values.all()
        ]
        return " · ".join(
            [", ".join(str(kind) for kind in kinds), ", ".join(narrowed) or gettext("anything")]
        )
