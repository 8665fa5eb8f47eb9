from django.db import migrations

PRODUCT_AREAS = ["medicines", "vaccines", "diagnostics", "devices"]
AUDIENCES = ["manufacturer", "regulator", "government", "academia", "partner", "other"]
LANGUAGES = ["en", "fr", "es", "ar", "ru", "zh"]


def create_rows(apps, schema_editor):
    for model_name, codes in (
        ("ProductArea", PRODUCT_AREAS),
        ("Audience", AUDIENCES),
        ("Language", LANGUAGES),
    ):
        model = apps.get_model("repository", model_name)
        for order, code in enumerate(codes):
            model.objects.update_or_create(code=code, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("repository", "0001_initial")]

    operations = [migrations.RunPython(create_rows, migrations.RunPython.noop)]
