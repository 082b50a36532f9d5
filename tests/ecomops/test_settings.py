"""Settings come from the environment; bad values stop start-up with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ecomops.settings import cache_from_url, database_from_url

ROOT = Path(__file__).resolve().parents[2]


def run_django(env_overrides: dict[str, str], code: str = "import django; django.setup()"):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY"}}
    env.update({"DJANGO_SETTINGS_MODULE": "ecomops.settings", **env_overrides})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_sqlite_url_gives_a_sqlite_file_database():
    config = database_from_url("sqlite:////tmp/ecomops.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/tmp/ecomops.sqlite3"


def test_postgres_url_is_parsed_into_its_parts():
    config = database_from_url("postgres://shop:s3cret@db.internal:6543/ecomops")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"], config["NAME"]) == (
        "shop",
        "s3cret",
        "db.internal",
        6543,
        "ecomops",
    )


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "mysql-ish:/x",
        "ftp://host/db",
        "postgres://host:5432/",
        "postgres://host:notaport/db",
    ],
)
def test_malformed_database_url_names_the_variable(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_url(url)


def test_cache_url_defaults_to_local_memory_and_understands_redis():
    assert cache_from_url("locmem://")["BACKEND"].endswith("LocMemCache")
    redis = cache_from_url("redis://127.0.0.1:6379/3")
    assert redis == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/3",
    }
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        cache_from_url("memcached://nowhere")


def test_embedded_defaults_are_sqlite_eager_celery_and_local_memory_cache():
    # The test run itself may point at PostgreSQL/Redis; the defaults are what an empty env gives.
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER,"
        " s.CACHES['default']['BACKEND'], s.TIME_ZONE, s.LANGUAGE_CODE, s.DEBUG)"
    )
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "ecomops.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
        "UTC",
        "en",
        "True",
    ]


def test_malformed_database_url_stops_start_up_with_its_name():
    result = run_django({"DATABASE_URL": "postgres//oops"})
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL is malformed" in result.stderr


def test_missing_secret_key_is_an_error_only_when_debug_is_off():
    result = run_django({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert run_django({"DEBUG": "1"}).returncode == 0


def test_broker_url_turns_eager_mode_off():
    code = "import django; django.setup(); from django.conf import settings as s; print(s.CELERY_TASK_ALWAYS_EAGER)"
    result = run_django({"CELERY_BROKER_URL": "redis://127.0.0.1:6379/9"}, code)
    assert result.stdout.strip() == "False"


def test_production_settings_pass_the_deploy_check():
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "x7" * 30 + "-production-like-secret-for-the-check",
        "ALLOWED_HOSTS": "ecomops.example.com",
    }
    code = (
        "import django, sys; django.setup(); from django.core.management import call_command;"
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    result = run_django(env, code)
    assert result.returncode == 0, result.stderr
