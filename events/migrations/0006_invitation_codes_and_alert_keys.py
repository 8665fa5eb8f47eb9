import secrets

from django.db import migrations, models

import events.models


def _give_keys(apps, schema_editor):
    AlertSubscription = apps.get_model("events", "AlertSubscription")
    for subscription in AlertSubscription.objects.filter(key__isnull=True).only("pk"):
        subscription.key = secrets.token_hex(16)
        subscription.save(update_fields=["key"])


class Migration(migrations.Migration):
    """Unsubscribe links name a random key of each subscription, no longer the person's id;
    invitation codes typed by staff must be as hard to guess as made-up ones."""

    dependencies = [
        ("events", "0005_alerts"),
    ]

    operations = [
        migrations.AddField(
            model_name="alertsubscription",
            name="key",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(_give_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="alertsubscription",
            name="key",
            field=models.CharField(
                default=events.models.alert_key_new, editable=False, max_length=32, unique=True
            ),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="code",
            field=models.CharField(
                max_length=32,
                unique=True,
                validators=[events.models.validate_invitation_code],
                verbose_name="code",
            ),
        ),
    ]
