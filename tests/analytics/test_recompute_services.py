""" "Recompute now" through Redis and a real worker (run by `make test-services`)."""

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import CustomerScore
from analytics.services import analytics_run_start
from tests import factories as f

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_run_started_here_is_executed_by_the_worker(celery_worker_process):
    for i in range(3):
        order = f.OrderFactory(
            created_at=timezone.now() - timedelta(days=3 + i), paid_total=Decimal("50")
        )
        f.OrderLineFactory(order=order, unit_price=Decimal("50"))
    run = analytics_run_start(user=None, as_of=date.today(), only=["scores", "kpis"])
    deadline = time.monotonic() + 60
    seen = set()
    while time.monotonic() < deadline:
        run.refresh_from_db()
        seen.add(run.status)
        if run.status in ("done", "failed"):
            break
        time.sleep(0.05)
    assert run.status == "done", run.error
    assert [step["name"] for step in run.report] == ["scores", "kpis"]
    assert CustomerScore.objects.count() == 3
    assert seen <= {"queued", "running", "done"}


def test_simultaneous_starts_create_one_run():
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from analytics.services import RunInProgress, analytics_run_create

    def start(_):
        try:
            analytics_run_create(user=None, as_of=date.today())
            return "created"
        except RunInProgress:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = Counter(pool.map(start, range(10)))
    assert results == Counter({"created": 1, "refused": 9})
