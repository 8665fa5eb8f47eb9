"""The configuration files of a deployment (deploy/) and README's "Deploying" section say the
same thing, and the files render into configurations that the servers accept."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
DEPLOY = BASE_DIR / "deploy"
sys.path.insert(0, str(DEPLOY))

from render import PLACEHOLDER, read_env_file, render  # noqa: E402

TEMPLATES = [
    DEPLOY / "nginx" / "lpa-portal.conf",
    DEPLOY / "supervisor" / "lpa-portal.conf",
    DEPLOY / "postgresql" / "lpa.conf",
    DEPLOY / "postgresql" / "pg_hba.conf",
    DEPLOY / "redis" / "lpa-cache.conf",
]


def readme_deploying() -> str:
    readme = (BASE_DIR / "README.md").read_text()
    return readme[readme.index("## Deploying") : readme.index("## Dependencies and why")]


def deploy_files() -> list[Path]:
    return sorted(
        path for path in DEPLOY.rglob("*") if path.is_file() and "__pycache__" not in path.parts
    )


def test_every_file_of_deploy_is_described_in_the_readme():
    section = readme_deploying()
    for path in deploy_files():
        relative = path.relative_to(BASE_DIR)
        named = f"`{relative}`" in section or f"`{relative.parent}/`" in section
        named = named or f"`{path.name}`" in section
        assert named, f"{relative} is not described in README's Deploying section"


def test_every_variable_of_the_files_is_documented():
    readme = (BASE_DIR / "README.md").read_text()
    for template in TEMPLATES:
        for name, _many in PLACEHOLDER.findall(template.read_text()):
            assert f"`{name}`" in readme, f"{name} ({template.name}) is not in README"


def test_the_settings_the_readme_states_are_those_of_the_files():
    """Every `setting = value` that the Deploying section quotes is a line of deploy/."""
    section = readme_deploying()
    lines = {line.strip() for path in deploy_files() for line in path.read_text().splitlines()}
    quoted = re.findall(r"`([a-z_]+ = [^`]+)`", section)
    assert len(quoted) >= 15
    for setting in quoted:
        assert setting in lines, f"README quotes `{setting}`, which no file of deploy/ holds"
    nginx = (DEPLOY / "nginx" / "lpa-portal.conf").read_text()
    for directive in ("max_fails=1 fail_timeout=10s", "proxy_next_upstream error timeout"):
        assert directive in section and directive in nginx
    redis = (DEPLOY / "redis" / "lpa-cache.conf").read_text()
    for directive in ("maxmemory-policy allkeys-lru", 'save ""', "appendonly no"):
        assert directive in section and directive in redis


def values() -> dict[str, str]:
    """What `make prod-up` gives the files (deploy/local/topology.py), on made-up addresses."""
    example = read_env_file(BASE_DIR / ".env.example")
    return {
        **example,
        "STATIC_ROOT": "/srv/lpa-portal/static",
        "AWS_STORAGE_BUCKET_NAME": "lpa-public",
        "APP_DIR": str(BASE_DIR),
        "VENV": str(BASE_DIR / ".venv"),
        "APP_USER": "nobody",
        "ENV_FILE": "/etc/lpa-portal/env",
        "GUNICORN_BIND": "10.0.0.11:8000",
        "GUNICORN_WORKERS": "3",
        "GUNICORN_THREADS": "4",
        "TASK_WORKERS": "1",
        "SCHEDULE_EVERY_SECONDS": "300",
        "LOG_DIR": "/var/log/lpa-portal",
        "APP_SERVERS": "10.0.0.11:8000,10.0.0.12:8000",
        "OBJECT_STORE_HOST": "10.0.0.41:9000",
        "NGINX_LISTEN": "127.0.0.1:8089",
        "NGINX_SERVER_NAME": "portal.example.org",
        "NGINX_MAX_BODY_SIZE": "51m",
        "NGINX_ERROR_PAGES": str(DEPLOY / "nginx"),
        "NGINX_ACCESS_LOG": "/dev/null",
        "PG_LISTEN": "10.0.0.21",
        "PG_PORT": "5432",
        "PG_SOCKET_DIR": "/var/run/postgresql",
        "PG_SUPERUSER": "postgres",
        "PG_DATABASE": "lpa",
        "PG_USER": "lpa",
        "PG_REPLICATION_USER": "replicator",
        "PG_CLIENTS": "10.0.0.0/24",
        "REDIS_BIND": "10.0.0.31",
        "REDIS_PORT": "6379",
        "REDIS_DIR": "/var/lib/redis",
        "REDIS_PASSWORD": "secret",
        "REDIS_MAXMEMORY": "256mb",
    }


def test_the_files_render_with_one_server_line_per_app_server():
    site = render((DEPLOY / "nginx" / "lpa-portal.conf").read_text(), values())
    assert "server 10.0.0.11:8000 max_fails=1 fail_timeout=10s;" in site
    assert "server 10.0.0.12:8000 max_fails=1 fail_timeout=10s;" in site
    assert "{{" not in site
    for template in TEMPLATES[1:]:
        assert "{{" not in render(template.read_text(), values())


def test_render_refuses_a_file_with_a_name_without_value(tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text("APP_SERVERS=10.0.0.11:8000\n")
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "render.py"), str(TEMPLATES[0]), str(env_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no value for" in result.stderr and "OBJECT_STORE_HOST" in result.stderr


def test_nginx_accepts_the_rendered_site(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not nginx:
        if os.environ.get("REQUIRE_SERVERS"):
            pytest.fail("nginx not found, and REQUIRE_SERVERS is set.")
        pytest.skip("needs nginx (apt-get install nginx-light); CI runs it")
    site = tmp_path / "lpa-portal.conf"
    site.write_text(render((DEPLOY / "nginx" / "lpa-portal.conf").read_text(), values()))
    for part in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / part).mkdir()
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{ include /etc/nginx/mime.types; client_body_temp_path {tmp_path}/body; "
        f"proxy_temp_path {tmp_path}/proxy; fastcgi_temp_path {tmp_path}/fastcgi; "
        f"uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi; "
        f"include {site}; }}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-c", str(main)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
