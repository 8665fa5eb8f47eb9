"""Settings come from the environment; production values pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "SECRET_KEY": "x7Gq2vN9pL4sR8tW1yZ3bC6dF0hJ5kM-production-like-key-for-the-check",
    "ALLOWED_HOSTS": "portal.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.org",
    "SITE_URL": "https://portal.example.org",
    "DATABASE_URL": "sqlite:////tmp/lpa-deploy-check.sqlite3",
}


def _run(code_or_args, env: dict[str, str]):
    """Run Python in a clean environment: only what a deployment would set, nothing of pytest's."""
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    clean.setdefault("DJANGO_SETTINGS_MODULE", "lpa_portal.settings")
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_with_production_values():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_by_default():
    result = _run(
        "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        {"SECRET_KEY": PRODUCTION["SECRET_KEY"]},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_missing_secret_key_is_refused_when_debug_is_off():
    result = _run("import django; django.setup()", {})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_local_run_needs_only_debug():
    result = _run(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.EMAIL_BACKEND)",
        {"DEBUG": "true"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_the_six_languages_of_who_are_offered_by_default_english_first():
    result = _run(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.LANGUAGE_CODE, *(code for code, _name in s.LANGUAGES))",
        {"DEBUG": "true"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["en", "en", "fr", "es", "ar", "ru", "zh-hans"]


def test_postgres_url_gives_persistent_health_checked_connections():
    result = _run(
        "import django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'], d['PORT'], "
        "d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
        {**PRODUCTION, "DATABASE_URL": "postgres://lpa:pw@db.internal:5433/lpa"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "lpa",
        "db.internal",
        "5433",
        "60",
        "True",
    ]


@pytest.mark.parametrize(
    ("environment", "timeout"),
    [
        ({}, "5"),
        ({"DATABASE_CONNECT_TIMEOUT": "2"}, "2"),
        ({"DATABASE_URL": "postgres://lpa:pw@db.internal:5433/lpa?connect_timeout=9"}, "9"),
    ],
)
def test_postgres_connections_give_up_after_a_connect_timeout(environment, timeout):
    result = _run(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['OPTIONS']['connect_timeout'])",
        {**PRODUCTION, "DATABASE_URL": "postgres://lpa:pw@db.internal:5433/lpa", **environment},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [timeout]


def test_unknown_language_code_is_a_clear_error():
    result = _run("import django; django.setup()", {**PRODUCTION, "LANGUAGES": "en,xx"})
    assert result.returncode != 0
    assert "LANGUAGES holds unknown codes ['xx']" in result.stderr


def test_every_setting_read_from_the_environment_is_documented():
    settings_source = (BASE_DIR / "lpa_portal" / "settings.py").read_text()
    example = (BASE_DIR / ".env.example").read_text()
    readme = (BASE_DIR / "README.md").read_text()
    import re

    names = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    assert names, "no environment variables found in settings.py"
    for name in sorted(names):
        assert re.search(rf"^{name}=", example, re.M), f"{name} missing from .env.example"
        assert f"`{name}`" in readme, f"{name} missing from the settings table in README.md"


def test_env_file_names_the_file_of_the_settings(tmp_path):
    """A deployment keeps its settings in one file that every process reads (ENV_FILE); the
    real environment still wins over it."""
    env_file = tmp_path / "env"
    env_file.write_text(
        f"SECRET_KEY={PRODUCTION['SECRET_KEY']}\n"
        "DATABASE_URL=postgres://lpa:pw@db.internal:5432/lpa\n"
        "CACHE_URL=redis://:secret@cache.internal:6379/1\n"
        "LOG_LEVEL=ERROR\n"
    )
    result = _run(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['HOST'], s.CACHES['default']['BACKEND'], "
        "s.CACHES['default']['OPTIONS']['socket_timeout'], s.LOGGING['root']['level'])",
        {"ENV_FILE": str(env_file), "LOG_LEVEL": "DEBUG"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "db.internal",
        "django.core.cache.backends.redis.RedisCache",
        "0.5",
        "DEBUG",
    ]


def test_an_env_file_that_does_not_exist_is_a_clear_error(tmp_path):
    result = _run("import django; django.setup()", {"ENV_FILE": str(tmp_path / "missing")})
    assert result.returncode != 0
    assert "ENV_FILE names" in result.stderr and "which is not a file" in result.stderr


def test_a_replica_gets_the_router_and_the_same_connection_settings():
    result = _run(
        "import django; django.setup(); from django.conf import settings as s; "
        "r = s.DATABASES['replica']; "
        "print(s.DATABASE_ROUTERS[0], r['HOST'], r['CONN_HEALTH_CHECKS'], "
        "r['OPTIONS']['connect_timeout'], s.REPLICA_MAX_LAG_SECONDS)",
        {
            **PRODUCTION,
            "DATABASE_URL": "postgres://lpa:pw@db.internal:5432/lpa",
            "DATABASE_REPLICA_URL": "postgres://lpa:pw@replica.internal:5432/lpa",
            "REPLICA_MAX_LAG_SECONDS": "3",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "lpa_portal.db_router.PrimaryReplicaRouter",
        "replica.internal",
        "True",
        "5",
        "3.0",
    ]


def test_the_default_site_url_follows_the_port_of_a_local_run():
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    )
    result = _run(code, {"DEBUG": "true", "PORT": "8080"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8080"
    # An explicit SITE_URL (production) wins over the port.
    result = _run(
        code, {"DEBUG": "true", "PORT": "8080", "SITE_URL": "https://portal.example.org/"}
    )
    assert result.stdout.strip() == "https://portal.example.org"


def test_make_run_hands_its_port_to_the_settings():
    """`make run PORT=8080` serves on 8080 and the settings (emails, certificates) know it."""
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8080"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stdout.splitlines() if "manage.py" in line]
    serve = next(line for line in commands if "runserver" in line)
    assert "PORT=8080" in serve and serve.rstrip().endswith("runserver 127.0.0.1:8080")
    # The migration names the site (allauth's emails) after the same address.
    assert any("PORT=8080" in line and "migrate" in line for line in commands)
