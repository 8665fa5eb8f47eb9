import json

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import PersonalDataExport, User


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationAdminForm
    form = UserChangeAdminForm
    ordering = ("-date_joined",)
    list_display = (
        "email",
        "full_name",
        "organisation",
        "organisation_type",
        "country",
        "who_region",
        "organisation_type_verified",
        "is_verified_regulator",
        "is_staff",
        "date_joined",
    )
    list_filter = (
        "who_region",
        "organisation_type",
        "organisation_type_verified",
        "is_verified_regulator",
        "preferred_language",
        "is_staff",
        "is_active",
        "groups",
        "country",
    )
    search_fields = ("email", "full_name", "organisation", "job_title")
    readonly_fields = (
        "who_region",
        "last_login",
        "date_joined",
        "privacy_accepted_at",
        "anonymised_at",
    )
    list_per_page = 50
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Profile"),
            {
                "fields": (
                    "full_name",
                    "organisation",
                    "organisation_type",
                    "job_title",
                    "country",
                    "who_region",
                    "preferred_language",
                    "privacy_accepted_at",
                )
            },
        ),
        (
            _("Verification"),
            {"fields": ("organisation_type_verified", "is_verified_regulator")},
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined", "anonymised_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "password1", "password2"),
            },
        ),
    )


# --- Audit trail and export log (superusers only, read-only) -------------------------------------

# auditlog ships no French catalogue; these are its labels that the admin shows (app, model),
# listed here so that the portal's own catalogue translates them.
_AUDITLOG_LABELS = (_("Audit log"), _("log entry"), _("log entries"))

ACTION_LABELS = {
    LogEntry.Action.CREATE: _("created"),
    LogEntry.Action.UPDATE: _("changed"),
    LogEntry.Action.DELETE: _("deleted"),
    LogEntry.Action.ACCESS: _("viewed"),
}


class SuperuserOnlyReadOnlyAdmin(admin.ModelAdmin):
    """A record of what happened: superusers read it; nobody adds, edits or deletes a row here."""

    actions = None

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActorFilter(admin.SimpleListFilter):
    """Who did it: the staff (a bounded list, not a scan of the log), or no one (commands and
    background tasks)."""

    title = _("actor")
    parameter_name = "actor"
    actor_field = "actor"
    NONE = "none"

    def lookups(self, request, model_admin):
        staff = User.objects.filter(Q(is_staff=True) | Q(is_superuser=True)).order_by("email")
        return [
            (self.NONE, _("No one (commands, background tasks)")),
            *((str(pk), email) for pk, email in staff.values_list("pk", "email")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == self.NONE:
            return queryset.filter(**{f"{self.actor_field}__isnull": True})
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{f"{self.actor_field}_id": int(value)})


class TrackedModelFilter(admin.SimpleListFilter):
    """The models the trail follows (from auditlog's registry, not a scan of the log)."""

    title = _("model")
    parameter_name = "model"

    def lookups(self, request, model_admin):
        types = ContentType.objects.get_for_models(*auditlog.get_models())
        return sorted(
            ((str(ct.pk), capfirst(model._meta.verbose_name)) for model, ct in types.items()),
            key=lambda item: str(item[1]),
        )

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(content_type_id=int(value))


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(str(code), label) for code, label in ACTION_LABELS.items()]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(action=int(value))


def _field_label(model, name: str) -> str:
    try:
        return capfirst(model._meta.get_field(name).verbose_name)
    except (FieldDoesNotExist, AttributeError):
        return name


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditTrailAdmin(SuperuserOnlyReadOnlyAdmin):
    date_hierarchy = "timestamp"
    list_display = ("timestamp", "object_link", "action_label", "changed_fields", "actor_label")
    list_filter = (TrackedModelFilter, ActorFilter, ActionFilter, "timestamp")
    list_select_related = ("content_type", "actor")
    search_fields = ("object_repr", "=object_pk", "actor__email", "actor_email")
    list_per_page = 50
    show_full_result_count = False
    fields = ("timestamp", "actor_label", "object_link", "action_label", "changes_table")
    readonly_fields = fields

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj: LogEntry) -> str:
        return ACTION_LABELS.get(obj.action, obj.action)

    @admin.display(description=_("who"), ordering="actor__email")
    def actor_label(self, obj: LogEntry) -> str:
        if obj.actor_id is None:
            return gettext("no one (command or background task)")
        return obj.actor.email

    @admin.display(description=_("what"))
    def object_link(self, obj: LogEntry) -> str:
        model = obj.content_type.model_class()
        label = f"{capfirst(model._meta.verbose_name) if model else obj.content_type}: "
        if obj.object_id is not None and obj.action != LogEntry.Action.DELETE:
            app_label, model_name = obj.content_type.app_label, obj.content_type.model
            try:
                url = reverse(f"admin:{app_label}_{model_name}_change", args=[obj.object_id])
            except NoReverseMatch:
                url = None
            if url:
                return format_html('{}<a href="{}">{}</a>', label, url, obj.object_repr)
        return f"{label}{obj.object_repr}"

    @admin.display(description=_("fields changed"))
    def changed_fields(self, obj: LogEntry) -> str:
        if obj.action in (LogEntry.Action.DELETE, LogEntry.Action.ACCESS):
            return ""
        model = obj.content_type.model_class()
        return ", ".join(str(_field_label(model, name)) for name in (obj.changes_dict or {}))

    @admin.display(description=_("changes"))
    def changes_table(self, obj: LogEntry) -> str:
        model = obj.content_type.model_class()
        rows = []
        for name, change in sorted((obj.changes_dict or {}).items()):
            if isinstance(change, dict) and change.get("type") == "m2m":
                verb = gettext("added") if change.get("operation") == "add" else gettext("removed")
                rows.append((_field_label(model, name), verb, "; ".join(change["objects"])))
            else:
                old, new = change
                rows.append((_field_label(model, name), old, new))
        if not rows:
            return "—"
        note = ""
        if model is not None and model._meta.label_lower == "events.registration":
            note = format_html(
                "<p>{}</p>",
                gettext(
                    "The registration's page shows its status history too, with who changed "
                    "it and the reasons given."
                ),
            )
        return format_html(
            '<table><caption>{}</caption><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th></tr></thead>'
            "<tbody>{}</tbody></table>{}",
            gettext("Changes"),
            gettext("Field"),
            gettext("Before (or action)"),
            gettext("After (or objects)"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
            note,
        )


class ExportActorFilter(ActorFilter):
    def lookups(self, request, model_admin):
        return super().lookups(request, model_admin)[1:]


@admin.register(PersonalDataExport)
class PersonalDataExportAdmin(SuperuserOnlyReadOnlyAdmin):
    date_hierarchy = "created_at"
    list_display = ("created_at", "actor", "kind", "description", "row_count")
    list_filter = ("kind", ExportActorFilter, "created_at")
    list_select_related = ("actor",)
    search_fields = ("description", "actor__email")
    list_per_page = 50
    show_full_result_count = False
    fields = ("created_at", "actor", "kind", "description", "row_count", "filters")
    readonly_fields = fields

    @admin.display(description=_("filters"))
    def filters(self, obj: PersonalDataExport) -> str:
        if not obj.parameters:
            return "—"
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.parameters, indent=2, ensure_ascii=False)
        )
