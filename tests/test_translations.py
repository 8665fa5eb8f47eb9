"""Every string the portal shows is translated into French: the catalogue that ships is complete
for the code that ships (no new string left out, none untranslated or fuzzy)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["manage.py", "lpa_portal", "accounts", "events", "repository", "templates", "locale"]


def _statistics(po: Path) -> str:
    result = subprocess.run(
        ["msgfmt", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stderr.strip()


def test_french_catalogue_has_every_string_of_the_code_translated(tmp_path):
    # makemessages on a copy, so that the catalogue in the checkout is left as it is.
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "-v", "0"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "PYTHONPATH": str(tmp_path)},
        timeout=240,
        check=True,
    )
    statistics = _statistics(tmp_path / "locale/fr/LC_MESSAGES/django.po")

    assert int(statistics.split()[0]) > 1000, statistics  # the copy's strings were all found
    assert "untranslated" not in statistics, statistics
    assert "fuzzy" not in statistics, statistics


def test_the_statistics_report_a_missing_translation(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Hello"\nmsgstr ""\n'
    )

    assert "1 untranslated" in _statistics(po)
