"""The project's form renderer: every `{{ form }}` renders through the accessible includes."""

from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    form_template_name = "includes/form.html"
    field_template_name = "includes/field.html"
