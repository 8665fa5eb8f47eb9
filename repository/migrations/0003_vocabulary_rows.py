from django.db import migrations

PRODUCT_AREAS = ["medicines", "vaccines", "diagnostics", "devices"]
AUDIENCES = ["manufacturer", "regulator", "government", "academia", "partner", "other"]
LANGUAGES = ["en", "fr", "es", "ar", "ru", "zh"]
REGIONS = ["AFRO", "AMRO", "SEARO", "EURO", "EMRO", "WPRO"]


def create_rows(apps, schema_editor):
    for model_name, codes in (
        ("ProductArea", PRODUCT_AREAS),
        ("Audience", AUDIENCES),
        ("Language", LANGUAGES),
        ("Region", REGIONS),
    ):
        model = apps.get_model("repository", model_name)
        for order, code in enumerate(codes):
            model.objects.update_or_create(code=code, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("repository", "0002_resources_files_search")]

    operations = [migrations.RunPython(create_rows, migrations.RunPython.noop)]
