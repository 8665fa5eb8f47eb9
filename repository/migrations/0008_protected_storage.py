import logging

from django.core.files.storage import storages
from django.db import migrations, models

import repository.models
import repository.storage

logger = logging.getLogger(__name__)


def _move_to_protected_storage(apps, schema_editor):
    """Files stored before the split move from the public storage to the protected one, under
    the same names, through the storage API (a folder or object storage alike). A file is
    deleted from the public storage only once its copy is stored; one missing is left as it was."""
    ResourceFile = apps.get_model("repository", "ResourceFile")
    public, protected = storages["default"], storages["protected"]
    names = set()
    for file_name, thumbnail in ResourceFile.objects.values_list("file", "thumbnail"):
        names.update(name for name in (file_name, thumbnail) if name)
    for name in sorted(names):
        if protected.exists(name) or not public.exists(name):
            continue
        with public.open(name, "rb") as source:
            stored = protected.save(name, source)
        if stored != name:  # never expected: the protected storage had no file of that name
            raise RuntimeError(f"{name} was stored as {stored}")
        public.delete(name)
        logger.info("Moved %s to the protected storage", name)


class Migration(migrations.Migration):
    dependencies = [
        ("repository", "0007_newest_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="resourcefile",
            name="file",
            field=models.FileField(
                blank=True,
                max_length=300,
                storage=repository.storage.protected_storage,
                upload_to=repository.models.resource_file_path,
                verbose_name="file",
            ),
        ),
        migrations.AlterField(
            model_name="resourcefile",
            name="thumbnail",
            field=models.ImageField(
                blank=True,
                editable=False,
                storage=repository.storage.protected_storage,
                upload_to="resources/thumbnails/",
                verbose_name="thumbnail",
            ),
        ),
        migrations.RunPython(_move_to_protected_storage, migrations.RunPython.noop),
    ]
