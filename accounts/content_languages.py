"""Content that staff write, in WHO's six languages: the source text and its translations.

The source column (`event.title`) holds the text as staff first wrote it, in English, and stays
the one that search documents, exports, certificates, slugs and the admin's source field read
and write. django-modeltranslation adds one column per other language beside it on the same row
(`title_fr`, `title_es`, `title_ar`, `title_ru`, `title_zh_hans`), so lists read translations
with no extra query. Only its columns are used: its accessors, which would make `event.title`
return and write the active language's text and rewrite queries on `title` to another column,
are left out, so the source can never be overwritten by a page or an admin in another language.

Pages show a text through `translated()`: the text in the page's language, or the source marked
as English, so that the page can say so and screen readers pronounce it right.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.html import conditional_escape, format_html
from django.utils.text import capfirst
from django.utils.translation import get_language, get_language_info

SOURCE_LANGUAGE = "en"
# Fixed, not read from LANGUAGES: the columns exist whichever languages a site offers.
TRANSLATION_LANGUAGES = tuple(settings.MODELTRANSLATION_LANGUAGES)

# model -> its translated fields, in the order they were declared.
_registry: dict[type[models.Model], tuple[str, ...]] = {}


def column(field: str, language: str) -> str:
    """The column of `field` in `language` (`title_zh_hans`); the source column for English."""
    if language == SOURCE_LANGUAGE:
        return field
    return f"{field}_{language.replace('-', '_')}"


def add_translations(model: type[models.Model], *fields: str) -> None:
    """Give `model` a column per translation language for each of `fields`, made by
    modeltranslation from the source field (same type and length, blank allowed, NULL while not
    translated). Called right after the models' classes, so that migrations and forms see them.

    The model is recorded in modeltranslation's registry (its fields and admin helpers need it)
    without `translator.register()`, which would also replace the source field's accessor and
    the managers (see the module's docstring)."""
    from modeltranslation.translator import add_translation_fields, translator

    options = translator._get_options_for_model(model, fields=fields)
    options.registered = True
    add_translation_fields(model, options)
    _registry[model] = tuple(fields)


def translated_fields(model: type[models.Model]) -> tuple[str, ...]:
    return _registry.get(model, ())


def language_name(language: str) -> str:
    """The language's name in itself (français, español, العربية, 简体中文)."""
    try:
        return get_language_info(language)["name_local"]
    except KeyError:
        return language


@dataclass(frozen=True)
class Text:
    """One text of a page: `value` in `language`; `fallback` when the page's language has no
    translation and the source shows instead."""

    value: str
    language: str
    fallback: bool

    def __str__(self) -> str:
        return self.value

    def __bool__(self) -> bool:
        return bool(self.value)


def page_language() -> str:
    """The active language, as its columns are named (`zh-hans`, not `zh-Hans`)."""
    return (get_language() or settings.LANGUAGE_CODE).lower()


def translated(obj: models.Model, field: str, language: str | None = None) -> Text:
    """`field` of `obj` in `language` (the active one by default), else the source text."""
    language = (language or page_language()).lower()
    source = getattr(obj, field) or ""
    if language == SOURCE_LANGUAGE or field not in translated_fields(type(obj)):
        return Text(source, SOURCE_LANGUAGE, False)
    if language not in TRANSLATION_LANGUAGES:
        return Text(source, SOURCE_LANGUAGE, False)
    value = getattr(obj, column(field, language), None)
    if value:
        return Text(value, language, False)
    return Text(source, SOURCE_LANGUAGE, bool(source))


def marked(text: Text) -> str:
    """`text` as HTML: the source marked `lang="en"` when it stands in for a translation."""
    if text.fallback:
        return format_html('<span lang="{}">{}</span>', text.language, text.value)
    return conditional_escape(text.value)


def translation_columns(model: type[models.Model], *fields: str) -> list[str]:
    """The translation columns of `fields` of `model` (every translated field by default): what
    `only()` must load beside the source so that a page in another language runs no query per
    row."""
    return [
        column(field, language)
        for field in fields or translated_fields(model)
        for language in TRANSLATION_LANGUAGES
    ]


class TranslationsAdminMixin:
    """For the admin of a model with translations (and its inlines): each source field is
    followed by its translations in the same fieldset, so that staff translate with the source
    in view; each translation's box is marked with its language (and Arabic written right to
    left). Only the languages the site offers (`LANGUAGES`) are asked for; the translations
    into others are kept as they are."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        fields = translated_fields(self.model)
        if not fields:
            return fieldsets
        columns = set(translation_columns(self.model))

        def expand(names):
            expanded = []
            for name in names:
                if not isinstance(name, str):
                    row = tuple(n for n in name if n not in columns)
                    expanded.append(row)
                    for part in row:
                        expanded += _columns_of(part) if part in fields else []
                elif name in fields:
                    expanded += [name, *_columns_of(name)]
                elif name not in columns:
                    expanded.append(name)
            return expanded

        return [
            (title, {**options, "fields": expand(options["fields"])})
            for title, options in fieldsets
        ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        language = getattr(db_field, "language", None)
        if formfield is not None and language in TRANSLATION_LANGUAGES:
            formfield.widget.attrs["lang"] = language
            formfield.widget.attrs["dir"] = "rtl" if language == "ar" else "ltr"
            source = capfirst(db_field.translated_field.verbose_name)
            formfield.label = f"{source} ({language_name(language)})"
        return formfield


def _columns_of(field: str) -> list[str]:
    offered = {code.lower() for code, _name in settings.LANGUAGES}
    return [column(field, language) for language in TRANSLATION_LANGUAGES if language in offered]
