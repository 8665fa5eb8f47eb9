"""The benchmark data of `manage.py seed_bulk` (lpa_portal/bulk.py), at a small scale."""

import pytest
from django.core.management import call_command

from accounts.models import User
from events.models import Event, Registration, Session
from lpa_portal.bulk import RARE_WORDS, Scale
from repository.models import DownloadEvent, Resource, ResourceFile


def test_the_default_scale_is_the_benchmark_scale():
    scale = Scale()
    assert (scale.users, scale.events, scale.registrations) == (50_000, 2_000, 200_000)
    assert scale.events * scale.sessions_per_event == 20_000
    assert (scale.resources, scale.downloads) == (20_000, 500_000)
    assert scale.text_words >= 1_000  # extracted text of a realistic length


@pytest.mark.django_db
def test_seed_bulk_loads_marked_rows_with_a_few_rare_words(capsys):
    call_command(
        "seed_bulk",
        "--users=40",
        "--events=5",
        "--registrations=60",
        "--resources=400",
        "--downloads=80",
        "--quiet",
    )
    assert User.objects.filter(email__endswith="@bulk.example").count() == 40
    assert Event.objects.filter(slug__startswith="bulk-").count() == 5
    assert Session.objects.filter(event__slug__startswith="bulk-").count() == 50
    assert Registration.objects.count() == 60
    assert Resource.objects.filter(slug__startswith="bulk-").count() == 400
    assert DownloadEvent.objects.count() == 80
    texts = list(ResourceFile.objects.values_list("extracted_text", flat=True))
    assert all(len(text.split()) >= 1_000 for text in texts)
    # A search for a rare word finds a few resources, not nearly all as for the common words.
    with_rare = [text for text in texts if any(word in text for word in RARE_WORDS)]
    assert 0 < len(with_rare) < len(texts) // 10
    assert "400 resources" in capsys.readouterr().out
