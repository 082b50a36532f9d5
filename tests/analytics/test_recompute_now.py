"""Recorded analytics runs: "Recompute now" in the admin and the nightly run's history."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from analytics.models import AnalyticsRun, CustomerScore
from analytics.services import (
    RunInProgress,
    analytics_run_create,
    analytics_run_execute,
    analytics_run_start,
)
from analytics.services import run as run_module
from analytics.tasks import compute_analytics
from tests import factories as f

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 6, 30)


@pytest.fixture
def shop():
    for i in range(3):
        customer = f.CustomerFactory()
        for days in (40 + i, 5 + i):
            when = timezone.make_aware(timezone.datetime(2026, 6, 30, 12)) - timedelta(days=days)
            order = f.OrderFactory(customer=customer, created_at=when, paid_total=Decimal("80"))
            f.OrderLineFactory(order=order, quantity=1, unit_price=Decimal("80"))


def staff(role: str):
    user = f.UserFactory(username=role.replace(" ", "").lower())
    user.groups.add(Group.objects.get(name=role))
    return user


def test_a_started_run_executes_its_steps_and_records_progress(
    shop, django_capture_on_commit_callbacks, monkeypatch
):
    seen = []
    original = run_module.STEPS["kpis"]

    def spy(as_of, window_days, since):  # what another connection sees during the step
        seen.append(AnalyticsRun.objects.values_list("status", "current_step", "steps_done").get())
        return original(as_of, window_days, since)

    monkeypatch.setitem(run_module.STEPS, "kpis", spy)
    user = staff("Ops staff")
    with django_capture_on_commit_callbacks(execute=True):
        run = analytics_run_start(user=user, as_of=AS_OF, only=["kpis", "scores"])
    run.refresh_from_db()
    assert seen == [("running", "kpis", 1)]  # scores done, kpis under way
    assert run.status == "done" and run.percent == 100
    assert (run.steps, run.steps_done, run.steps_total) == (["scores", "kpis"], 2, 2)
    assert [step["name"] for step in run.report] == ["scores", "kpis"]
    assert "3 customers scored" in run.report[0]["summary"]
    assert run.started_by == user and run.started_at <= run.finished_at
    assert CustomerScore.objects.count() == 3


def test_a_second_run_is_refused_while_one_is_in_progress_unless_it_is_stale(settings):
    first = analytics_run_create(user=None, as_of=AS_OF)
    with pytest.raises(RunInProgress) as refusal:
        analytics_run_create(user=None, as_of=AS_OF)
    assert refusal.value.run == first and refusal.value.code == "run_in_progress"
    stale = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    AnalyticsRun.objects.filter(pk=first.pk).update(created_at=stale)
    assert analytics_run_create(user=None, as_of=AS_OF).pk != first.pk
    first.refresh_from_db()  # the dead run is no longer shown as in progress
    assert first.status == "failed" and first.error.startswith("abandoned")


def test_a_failing_step_records_the_error_and_never_stays_running(shop, monkeypatch):
    def broken(as_of, window_days, since):
        raise ValueError("the disk is full")

    monkeypatch.setitem(run_module.STEPS, "tags", broken)
    run = analytics_run_create(user=None, as_of=AS_OF, only=["scores", "tags"])
    with pytest.raises(ValueError):
        analytics_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "the disk is full" in run.error
    assert run.finished_at is not None and run.steps_done == 1
    # the next run is not blocked by the failed one
    assert analytics_run_create(user=None, as_of=AS_OF).status == "queued"


def test_the_nightly_task_is_recorded_without_a_user(shop):
    result = compute_analytics.delay(as_of=AS_OF.isoformat()).get()
    run = AnalyticsRun.objects.get()
    assert run.started_by is None and run.status == "done" and result["run"] == run.pk
    assert len(run.report) == len(run_module.STEPS)


def test_admin_recompute_now_for_a_user_with_the_permission(
    client, shop, django_capture_on_commit_callbacks
):
    client.force_login(staff("Analyst"))
    listing = client.get(reverse("admin:analytics_analyticsrun_changelist")).content.decode()
    assert reverse("admin:analytics_analyticsrun_recompute") in listing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:analytics_analyticsrun_recompute"),
            {"as_of": "2026-06-30", "steps": ["scores"]},
        )
    run = AnalyticsRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:analytics_analyticsrun_progress", args=[run.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'id="run-progress"' in page and "scores" in page
    state = client.get(reverse("admin:analytics_analyticsrun_status", args=[run.pk])).json()
    assert state["status"] == "done" and state["percent"] == 100 and state["done"] is True
    assert state["report"][0]["name"] == "scores"


def test_admin_refuses_a_second_run_with_a_message(client):
    client.force_login(staff("Ops staff"))
    busy = analytics_run_create(user=None, as_of=AS_OF)
    response = client.post(
        reverse("admin:analytics_analyticsrun_recompute"), {"as_of": "2026-06-30"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(
        "admin:analytics_analyticsrun_progress", args=[busy.pk]
    )
    assert "already queued" in response.content.decode()


def test_store_managers_may_watch_but_not_start_runs(client):
    client.force_login(staff("Store manager"))
    assert client.get(reverse("admin:analytics_analyticsrun_recompute")).status_code == 403
    assert client.post(reverse("admin:analytics_analyticsrun_recompute"), {}).status_code == 403
    listing = client.get(reverse("admin:analytics_analyticsrun_changelist")).content.decode()
    assert reverse("admin:analytics_analyticsrun_recompute") not in listing
    assert AnalyticsRun.objects.count() == 0


def test_a_bad_date_is_shown_on_the_form(client):
    client.force_login(staff("Ops staff"))
    response = client.post(reverse("admin:analytics_analyticsrun_recompute"), {"as_of": "30/06"})
    assert response.status_code == 200 and response.context["form"].errors["as_of"]
    assert AnalyticsRun.objects.count() == 0
