from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User


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
        "is_verified_regulator",
        "is_staff",
        "date_joined",
    )
    list_filter = (
        "who_region",
        "organisation_type",
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
        (_("Verification"), {"fields": ("is_verified_regulator",)}),
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
