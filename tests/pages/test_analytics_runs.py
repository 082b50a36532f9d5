"""Recompute now from the pages: the runs list, starting a run, its progress page
following the JSON status, and the result when it is done."""

from datetime import date

import pytest
from django.utils import timezone

from analytics.models import AnalyticsRun
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_staff_who_may_run_see_the_form_others_only_the_history(login_as):
    AnalyticsRun.objects.create(
        as_of=date(2026, 11, 30), status="done", steps_total=7, steps_done=7
    )
    manager = login_as("manager").get("/analytics/runs/")
    assert manager.status_code == 200
    html = manager.content.decode()
    assert "Start the run" not in html and "nightly schedule" in html and "100%" in html
    assert "Start the run" in login_as("analyst").get("/analytics/runs/").content.decode()
    assert login_as("manager").post("/analytics/runs/", {"as_of": "2026-11-30"}).status_code == 403


def test_starting_a_run_queues_it_and_opens_its_progress(
    login_as, django_capture_on_commit_callbacks
):
    client = login_as("ops")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/analytics/runs/", {"as_of": "2026-11-30", "steps": ["kpis"]})
    run = AnalyticsRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/analytics/runs/{run.pk}/"
    assert (run.status, run.steps, run.started_by.username) == ("queued", ["kpis"], "ops")
    assert len(callbacks) == 1  # the task is queued after the commit
    page = client.get(response["Location"]).content.decode()
    assert f'data-progress-url="/analytics/runs/{run.pk}/status/"' in page
    again = client.post("/analytics/runs/", {"as_of": "2026-11-30"})
    assert again["Location"] == f"/analytics/runs/{run.pk}/"  # refused: one run at a time
    assert AnalyticsRun.objects.count() == 1


def test_the_status_follows_the_run(login_as):
    run = AnalyticsRun.objects.create(
        as_of=date(2026, 11, 30), status="running", current_step="kpis", steps_done=3, steps_total=4
    )
    state = login_as("manager").get(f"/analytics/runs/{run.pk}/status/").json()
    assert (state["percent"], state["done"], state["result_url"]) == (75, False, None)
    assert state["message"] == "running · step kpis (3 of 4)"


def test_a_finished_run_shows_what_each_step_wrote(login_as):
    started = timezone.now()
    run = AnalyticsRun.objects.create(
        as_of=date(2026, 11, 30), status="done", steps_done=2, steps_total=2,
        started_at=started, finished_at=started + timezone.timedelta(seconds=12.5),
        report=[
            {"name": "scores", "seconds": 2.5, "summary": "40 customers scored"},
            {"name": "kpis", "seconds": 10.0, "summary": "300 daily values"},
        ],
    )  # fmt: skip
    page = login_as("manager").get(f"/analytics/runs/{run.pk}/")
    html = page.content.decode()
    assert "data-progress-url" not in html  # nothing to follow any more
    assert "40 customers scored" in html and "300 daily values" in html
    assert "12.50" in html  # seconds of the whole run
    assert login_as("manager").get(f"/analytics/runs/{run.pk}/status/").json()["done"] is True


def test_a_failed_run_shows_its_error(login_as):
    run = AnalyticsRun.objects.create(as_of=date(2026, 11, 30), status="failed", error="boom")
    html = login_as("analyst").get(f"/analytics/runs/{run.pk}/").content.decode()
    assert 'role="alert">boom' in html


def test_runs_need_the_view_permission(client):
    run = AnalyticsRun.objects.create(as_of=date(2026, 11, 30))
    client.force_login(f.UserFactory())
    assert client.get("/analytics/runs/").status_code == 403
    assert client.get(f"/analytics/runs/{run.pk}/").status_code == 403
    assert client.get(f"/analytics/runs/{run.pk}/status/").status_code == 403


def test_the_runs_pages_take_a_bounded_number_of_queries(login_as, django_assert_max_num_queries):
    user = f.UserFactory()
    for _ in range(10):
        AnalyticsRun.objects.create(as_of=date(2026, 11, 30), status="done", started_by=user)
    client = login_as("ops")
    with django_assert_max_num_queries(8):
        assert client.get("/analytics/runs/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(f"/analytics/runs/{AnalyticsRun.objects.first().pk}/").status_code == 200
