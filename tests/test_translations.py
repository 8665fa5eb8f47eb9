"""Every string the portal shows is translated into each of its languages: the catalogue of every
language the portal knows, English aside, is complete for the code that ships (no new string left
out, none untranslated or fuzzy, no placeholder or plural form lost)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils.translation import to_locale

from lpa_portal.settings import _KNOWN_LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["manage.py", "lpa_portal", "accounts", "events", "repository", "templates", "locale"]
# English is the language of the source strings: it has no catalogue to keep complete.
TRANSLATED_LANGUAGES = sorted(code for code in _KNOWN_LANGUAGES if code != "en")


def _statistics(po: Path, *checks: str) -> str:
    """msgfmt's statistics line, e.g. "1307 translated messages."; with checks (such as
    --check), a catalogue that fails them fails here, with msgfmt's reasons."""
    result = subprocess.run(
        ["msgfmt", *checks, "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stderr.strip()
    assert result.returncode == 0, output
    # The statistics are the last line; any lines before are msgfmt's warnings.
    return output.splitlines()[-1]


@pytest.mark.parametrize("code", TRANSLATED_LANGUAGES)
def test_catalogue_has_every_string_of_the_code_translated(code, tmp_path):
    locale = to_locale(code)  # zh-hans -> zh_Hans, the catalogue's folder
    # makemessages on a copy, so that the catalogue in the checkout is left as it is.
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    po = tmp_path / "locale" / locale / "LC_MESSAGES" / "django.po"
    assert po.exists(), f"no catalogue for {code}: locale/{locale}/LC_MESSAGES/django.po"
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", locale, "-v", "0"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "PYTHONPATH": str(tmp_path)},
        timeout=240,
        check=True,
    )
    # --check: placeholders kept, and as many plural forms as the header's Plural-Forms says.
    statistics = _statistics(po, "--check")

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


def test_the_check_reports_a_lost_placeholder(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, python-format\nmsgid "Hello %(name)s"\nmsgstr "Bonjour"\n'
    )

    with pytest.raises(AssertionError, match="name"):
        _statistics(po, "--check")
