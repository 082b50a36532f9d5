import pytest
from django.core.cache import cache

from ecomops.health import HEARTBEAT_CACHE_KEY
from ecomops.tasks import heartbeat


@pytest.mark.django_db
def test_healthz_reports_database_cache_and_last_worker_beat(client):
    cache.delete(HEARTBEAT_CACHE_KEY)
    body = client.get("/healthz/").json()
    assert body == {"database": "ok", "cache": "ok", "worker_heartbeat": None, "ok": True}

    beat = heartbeat.delay().get()
    body = client.get("/healthz/").json()
    assert body["worker_heartbeat"] == beat
