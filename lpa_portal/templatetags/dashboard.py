from django import template

from lpa_portal.dashboard import dashboard_panels

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_dashboard(context):
    """The dashboard's panels for the person viewing the admin's first page."""
    return dashboard_panels(context["request"])


# Sections whose models belong with the people who sign in: one "Accounts" section.
ACCOUNT_APPS = ("account", "auth")
# The machinery of the portal, for superusers only: the site's name, the queue of tasks.
INTERNAL_APPS = ("sites", "django_tasks_database")


@register.filter
def staff_sections(app_list, user):
    """The admin's sections as staff read them: email addresses and groups in the one
    "Accounts" section beside users, and the portal's machinery (Sites, task results) hidden
    from anyone but superusers. Used by the index and by the navigation sidebar."""
    sections = []
    accounts = None
    moved = []
    for app in app_list:
        label = app["app_label"]
        if label in INTERNAL_APPS and not user.is_superuser:
            continue
        if label in ACCOUNT_APPS:
            moved += app["models"]
            continue
        if label == "accounts":
            accounts = {**app, "models": list(app["models"])}
            app = accounts
        sections.append(app)
    if moved:
        if accounts is None:
            accounts = {
                "name": moved[0]["name"],
                "app_label": "accounts",
                "app_url": "",
                "has_module_perms": True,
                "models": [],
            }
            sections.append(accounts)
            sections.sort(key=lambda app: str(app["name"]).lower())
        accounts["models"] = sorted(
            accounts["models"] + moved, key=lambda model: str(model["name"]).lower()
        )
    return sections
