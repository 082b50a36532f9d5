"""Health checks for load balancers and operators (`/healthz/`)."""

from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "ecomops:worker-heartbeat"


def worker_heartbeat_record() -> datetime:
    now = timezone.now()
    cache.set(HEARTBEAT_CACHE_KEY, now.isoformat(), timeout=None)
    return now


def health_status() -> dict:
    """Database and cache reachability, and the last Celery worker heartbeat."""
    status = {"database": "ok", "cache": "ok", "worker_heartbeat": cache.get(HEARTBEAT_CACHE_KEY)}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # report any driver error as-is
        status["database"] = f"error: {exc}"
    try:
        cache.set("ecomops:health-probe", 1, timeout=5)
    except Exception as exc:
        status["cache"] = f"error: {exc}"
    status["ok"] = status["database"] == "ok" and status["cache"] == "ok"
    return status
