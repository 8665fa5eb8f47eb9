"""The admin of Content editors: topics and resources of the knowledge repository.

Product areas, audiences and languages are fixed vocabularies whose labels live in code; the
admin lists them and lets staff change their order, never add or delete one.
"""

from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from repository.models import Audience, Language, ProductArea, Resource, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "slug", "order", "resources")
    list_editable = ("order",)
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("parent",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "parent", "description", "order")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(resources_count=Count("resource"))

    @admin.display(description=_("resources"), ordering="resources_count")
    def resources(self, obj: Topic) -> int:
        return obj.resources_count


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("title", "kind", "status", "publication_date")
    list_filter = ("kind", "status", "topics")
    search_fields = ("title", "reference_number")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("topics",)
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("title", "slug", "kind", "status")}),
        (
            _("Description"),
            {"fields": ("summary", "reference_number", "publication_date", "topics")},
        ),
    )


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "order")
    list_editable = ("order",)
    fields = ("code", "order")
    readonly_fields = ("code",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(ProductArea, VocabularyAdmin)
admin.site.register(Audience, VocabularyAdmin)
admin.site.register(Language, VocabularyAdmin)
