"""A real task through the broker and a worker process (run by `make test-services`)."""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from ecomops.celery import app as celery_app
from ecomops.health import HEARTBEAT_CACHE_KEY
from ecomops.tasks import heartbeat

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_services_run_uses_postgresql_and_a_real_broker():
    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert not celery_app.conf.task_always_eager


def test_heartbeat_task_runs_in_a_worker_process(celery_worker_process, client):
    cache.delete(HEARTBEAT_CACHE_KEY)
    result = heartbeat.delay()
    beat = result.get(timeout=30)
    # The worker wrote the beat into the shared Redis cache; this process reads it back.
    assert cache.get(HEARTBEAT_CACHE_KEY) == beat
    assert client.get("/healthz/").json()["worker_heartbeat"] == beat
    assert celery_worker_process.process.pid != os.getpid()
