"""The analytics run: every step in order, timed, with a report of what was written."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from analytics import loaders
from analytics.services.freshness import report_data_changed
from analytics.services.kpis import kpis_compute
from analytics.services.products import affinity_compute, forecast_compute
from analytics.services.recommendations import recommendations_compute
from analytics.services.scores import line_figures_compute, scores_compute
from analytics.services.segments import segments_ensure_builtin, segments_refresh_counts
from analytics.services.tags import tags_compute
from analytics.signals import segments_refreshed


def _scores(as_of: date, window_days: int | None, since: date | None) -> str:
    result = scores_compute(as_of=as_of, window_days=window_days)
    text = (
        f"{result.customers} customers scored, {result.scored} with RFM scores, "
        f"{result.predicted} with predictions"
    )
    return "; ".join([text, *result.notes])


def _segments(as_of: date, window_days: int | None, since: date | None) -> str:
    builtin = segments_ensure_builtin()
    counted = segments_refresh_counts(as_of=as_of)
    segments_refreshed.send(sender="analytics", as_of=as_of)
    return f"{builtin} built-in segments, {counted} segment counts refreshed"


def _tags(as_of: date, window_days: int | None, since: date | None) -> str:
    result = tags_compute(as_of=as_of)
    text = ", ".join(f"{name} {count}" for name, count in result.assigned.items())
    if result.skipped:
        text += f"; left alone (manual tags of the same name): {', '.join(result.skipped)}"
    # The customer figures that need the lines, from the same (shared) frames.
    updated = line_figures_compute(
        as_of=as_of,
        orders=loaders.paid_orders(as_of=as_of),
        lines=loaders.paid_lines(as_of=as_of),
    )
    return f"{text}; contribution and preferred category of {updated} customers"


def _kpis(as_of: date, window_days: int | None, since: date | None) -> str:
    result = kpis_compute(as_of=as_of, since=since)
    if result.start is None:
        return "no paid orders yet: nothing to materialise"
    return f"{result.rows} daily values from {result.start} to {result.end}; {result.facts}"


def _affinity(as_of: date, window_days: int | None, since: date | None) -> str:
    result = affinity_compute(as_of=as_of)
    return f"{result.rules} product rules over {result.orders} paid orders"


def _recommendations(as_of: date, window_days: int | None, since: date | None) -> str:
    result = recommendations_compute(as_of=as_of)
    return f"{result.rows} recommendations for {result.customers} customers"


def _forecast(as_of: date, window_days: int | None, since: date | None) -> str:
    result = forecast_compute(as_of=as_of)
    if not result.products:
        return f"no forecast: {result.note}"
    errors = ", ".join(
        f"{name} {value:.1%}"
        for name, value in (("MAPE", result.mape), ("WAPE", result.wape))
        if value is not None
    )
    return f"4-week forecast for {result.products} products from {result.weeks_of_history} weeks; backtest {errors}"


# In run order: segments count members by the scores and tags just computed.
STEPS: dict[str, Callable[[date, int | None, date | None], str]] = {
    "scores": _scores,
    "tags": _tags,
    "segments": _segments,
    "kpis": _kpis,
    "affinity": _affinity,
    "recommendations": _recommendations,
    "forecast": _forecast,
}


class UnknownStep(ValueError):
    code = "unknown_step"


@dataclass
class StepReport:
    name: str
    seconds: float
    summary: str


@dataclass
class RunReport:
    as_of: date
    steps: list[StepReport] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


def analytics_run(
    *,
    as_of: date,
    window_days: int | None = None,
    only: Sequence[str] | None = None,
    since: date | None = None,
    on_step: Callable[[str, int, int], None] | None = None,
) -> RunReport:
    """Run the analytics steps (all, or ``only`` these) as of ``as_of``.

    ``on_step(name, index, total)`` is called before each step (progress bars, task state).
    """
    names = list(STEPS) if not only else [name for name in STEPS if name in set(only)]
    unknown = sorted(set(only or ()) - set(STEPS))
    if unknown:
        raise UnknownStep(f"unknown step(s) {', '.join(unknown)}; steps: {', '.join(STEPS)}")
    report = RunReport(as_of=as_of)
    with loaders.shared_frames():
        for index, name in enumerate(names):
            if on_step:
                on_step(name, index, len(names))
            started = time.perf_counter()
            summary = STEPS[name](as_of, window_days, since)
            report.steps.append(StepReport(name, time.perf_counter() - started, summary))
    transaction.on_commit(report_data_changed)
    return report
