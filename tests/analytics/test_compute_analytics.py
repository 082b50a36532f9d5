from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics.models import CustomerScore, Segment
from analytics.tasks import compute_analytics
from customers.models import CustomerTag
from tests import factories as f

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


@pytest.fixture
def shop():
    for days in (3, 30, 200):
        customer = f.CustomerFactory()
        day = AS_OF - timedelta(days=days)
        f.OrderFactory(
            customer=customer,
            created_at=timezone.make_aware(datetime(day.year, day.month, day.day, 23)),
        )
    f.CustomerFactory()  # a prospect


def test_command_runs_every_step_and_reports_each(shop):
    out = StringIO()
    call_command("compute_analytics", "--as-of", "2026-06-30", "--no-progress", stdout=out)
    text = out.getvalue()
    assert text.startswith("Analytics as of 2026-06-30:")
    assert "scores" in text and "4 customers scored, 3 with RFM scores, 0 with predictions" in text
    assert "25 built-in segments" in text
    assert "total" in text
    assert CustomerScore.objects.count() == 4
    assert Segment.objects.get(name="Lifecycle: prospect").member_count == 1


def test_only_runs_the_named_steps(shop):
    out = StringIO()
    call_command("compute_analytics", "--as-of", "2026-06-30", "--only", "scores", stdout=out)
    assert CustomerScore.objects.count() == 4
    assert not Segment.objects.exists()
    assert not CustomerTag.objects.exists()
    assert "segments" not in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "scores,colours"], "unknown step(s) colours"),
        (["--as-of", "30/06/2026"], "--as-of must be a date as YYYY-MM-DD"),
        (["--window-days", "-1"], "--window-days must be 0"),
    ],
)
def test_bad_arguments_are_refused_by_name(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("compute_analytics", *args, stdout=StringIO())


def test_the_nightly_task_runs_the_same_steps(shop):
    result = compute_analytics.delay(as_of="2026-06-30").get()
    assert [step["name"] for step in result["steps"]] == [
        "scores",
        "tags",
        "segments",
        "kpis",
        "affinity",
        "recommendations",
        "forecast",
    ]
    assert CustomerScore.objects.count() == 4


def test_a_run_reads_the_paid_orders_and_lines_once_for_every_step(shop, monkeypatch):
    # tags, kpis (and its inventory snapshot), affinity, recommendations and forecast all
    # use the whole history of paid lines, or a recent slice of it; the paid orders serve
    # tags and kpis. One read of each is shared by the whole run.
    from analytics import loaders
    from analytics.services.run import analytics_run

    reads = []
    for name in ("_paid_orders", "_paid_lines"):
        read = getattr(loaders, name)
        monkeypatch.setattr(
            loaders, name, lambda read=read, name=name, **kw: reads.append(name) or read(**kw)
        )
    report = analytics_run(as_of=AS_OF)
    assert [step.name for step in report.steps] == [
        "scores", "tags", "segments", "kpis", "affinity", "recommendations", "forecast",
    ]  # fmt: skip
    assert sorted(reads) == ["_paid_lines", "_paid_orders"]
