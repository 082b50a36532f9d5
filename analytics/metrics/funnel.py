"""Conversion funnel: visit → product view → add to cart → order → pay (DESIGN §3).

Input ``events`` (the frame ``analytics.loaders.events`` builds): session_id, customer_id
(NaN for anonymous events), type, occurred_at (naive local datetime), channel_id (NaN when
unknown). Other event types (checkout, share, ...) are ignored.

Rules, exactly:

- **Window**: events whose local date lies in ``[start, end]``, both inclusive.
- **Unit**: ``per="session"`` counts sessions (session ids are globally unique);
  ``per="customer"`` counts customers across all their sessions in the window, so
  anonymous events (no customer_id) are left out in that mode.
- **In order**: a unit enters the funnel at its first ``visit`` in the window; each later
  step k counts when the unit has an event of step k at or after the time at which step
  k−1 first counted (the step's *qualifying* time, ``t_k = min{occurred_at of step k ≥
  t_{k−1}}``). Equal timestamps count as "after". So a cart added before any product
  view does not count, and a unit with no visit counts at no step.
- **Channel**: the channel of the unit's first visit (the event that opened its funnel).
- **Rates**: step_conversion = count / count of the previous step (the first step's is
  its overall conversion); overall_conversion = count / visits; cart_abandonment =
  1 − ordered / carted; payment_dropoff = 1 − paid / ordered. A zero denominator gives NaN.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

FUNNEL_STEPS: tuple[str, ...] = ("visit", "product_view", "add_to_cart", "order", "pay")
UNITS = {"session": "session_id", "customer": "customer_id"}


def funnel_reach(
    events: pd.DataFrame, *, start: date, end: date, per: str = "session"
) -> pd.DataFrame:
    """When each unit reached each funnel step, in order.

    Returns one row per unit that visited: the unit column (session_id or customer_id),
    channel_id (of the first visit) and one column per step in ``FUNNEL_STEPS`` holding
    the qualifying time (NaT when the step was not reached in order).
    """
    return _reach(_window(events, start, end, per), [UNITS[per]])


def funnel_steps(
    events: pd.DataFrame,
    *,
    start: date,
    end: date,
    per: str = "session",
    by_channel: bool = False,
) -> pd.DataFrame:
    """Funnel counts and conversions.

    Returns one row per step (per channel and step when ``by_channel``), steps in funnel
    order: [channel_id,] step, count, step_conversion, overall_conversion.
    """
    reach = funnel_reach(events, start=start, end=end, per=per)
    return _steps_from_reach(reach, ["channel_id"] if by_channel else [])


def funnel_leakage(steps: pd.DataFrame) -> pd.DataFrame:
    """Cart abandonment and payment drop-off from a ``funnel_steps`` frame.

    Returns one row per channel (a single row when ``steps`` has no channel_id):
    [channel_id,] carted, ordered, paid, cart_abandonment, payment_dropoff.
    """
    keys = ["channel_id"] if "channel_id" in steps.columns else []
    if keys:
        wide = steps.set_index([*keys, "step"])["count"].unstack("step")
    else:
        wide = steps.set_index("step")["count"].to_frame().T.reset_index(drop=True)
    wide = wide.reindex(columns=list(FUNNEL_STEPS), fill_value=0)
    out = pd.DataFrame(
        {
            "carted": wide["add_to_cart"].astype("int64"),
            "ordered": wide["order"].astype("int64"),
            "paid": wide["pay"].astype("int64"),
        }
    )
    out["cart_abandonment"] = 1 - _ratio(out["ordered"], out["carted"])
    out["payment_dropoff"] = 1 - _ratio(out["paid"], out["ordered"])
    return out.reset_index() if keys else out


def daily_funnel(
    events: pd.DataFrame, *, start: date, end: date, per: str = "session", by_channel: bool = False
) -> pd.DataFrame:
    """One one-day funnel per day (and per channel of the first visit with ``by_channel``).

    The value for day d equals ``funnel_steps(events, start=d, end=d, per=per)``. Returns
    day (date), [channel_id,] visits, viewed, carted, ordered, paid, conversion (paid / visits),
    cart_abandonment, payment_dropoff; every day of ``[start, end]`` is present without
    ``by_channel`` (0 and NaN on a day without events), only days with visits with it.
    """
    overall, channels = daily_funnels(events, start=start, end=end, per=per)
    return channels if by_channel else overall


def daily_funnels(
    events: pd.DataFrame, *, start: date, end: date, per: str = "session"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`daily_funnel` without and with ``by_channel``, from one pass over the events."""
    frame = _window(events, start, end, per)
    # One integer per unit and day: the step merges are several times faster on it than
    # on (session text, day).
    frame["unit"] = frame.groupby(
        [UNITS[per], frame["occurred_at"].dt.normalize()], sort=False
    ).ngroup()
    reach = _reach(frame, ["unit"])
    reach["day"] = reach[FUNNEL_STEPS[0]].dt.normalize()  # a unit's day is its first visit's
    counts = {
        "visits": ("visit", "count"),
        "viewed": ("product_view", "count"),
        "carted": ("add_to_cart", "count"),
        "ordered": ("order", "count"),
        "paid": ("pay", "count"),
    }
    days = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D", name="day")
    overall = reach.groupby("day").agg(**counts).reindex(days, fill_value=0)
    channels = reach.groupby(["day", "channel_id"]).agg(**counts)
    return _day_rates(overall), _day_rates(channels)


def _day_rates(daily: pd.DataFrame) -> pd.DataFrame:
    daily["conversion"] = _ratio(daily["paid"], daily["visits"])
    daily["cart_abandonment"] = 1 - _ratio(daily["ordered"], daily["carted"])
    daily["payment_dropoff"] = 1 - _ratio(daily["paid"], daily["ordered"])
    daily = daily.reset_index()
    daily["day"] = daily["day"].dt.date
    return daily


def daily_cart_abandonment(
    events: pd.DataFrame, *, start: date, end: date, per: str = "session"
) -> pd.DataFrame:
    """Cart abandonment per day, for a trend chart: day, carted, ordered, cart_abandonment
    (NaN on a day without carts), from :func:`daily_funnel`."""
    daily = daily_funnel(events, start=start, end=end, per=per)
    return daily[["day", "carted", "ordered", "cart_abandonment"]]


def _window(events: pd.DataFrame, start: date, end: date, per: str) -> pd.DataFrame:
    if per not in UNITS:
        raise ValueError(f"per must be one of {sorted(UNITS)}, not {per!r}")
    days = events["occurred_at"].dt.normalize()
    keep = (
        events["type"].isin(FUNNEL_STEPS)
        & (days >= pd.Timestamp(start))
        & (days <= pd.Timestamp(end))
        & events[UNITS[per]].notna()
    )
    return events.loc[keep, [UNITS[per], "type", "occurred_at", "channel_id"]].copy()


def _reach(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Qualifying time of each step per unit; loops over the 5 steps, never over units.

    Each step is one pass over the events: an event of step k qualifies when it is at or
    after its unit's time for step k − 1, and the unit's time for step k is the earliest
    that qualifies (a running minimum per unit number)."""
    frame = frame.sort_values("occurred_at", kind="stable")
    unit = frame.groupby(keys, sort=False).ngroup().to_numpy() if len(frame) else np.zeros(0, int)
    time = frame["occurred_at"].to_numpy(dtype="datetime64[ns]").view("int64")
    step = pd.Categorical(frame["type"], categories=FUNNEL_STEPS).codes
    never = np.iinfo(np.int64).max
    visits = np.flatnonzero(step == 0)
    _, first = np.unique(unit[visits], return_index=True)
    first = np.sort(visits[first])  # each unit's first visit, in time order
    reached = np.full(unit.max() + 1 if len(unit) else 0, never)
    reached[unit[first]] = time[first]
    reach = frame.iloc[first][[*keys, "channel_id"]].reset_index(drop=True)
    reach.insert(len(keys), FUNNEL_STEPS[0], frame["occurred_at"].to_numpy()[first])
    for k, name in enumerate(FUNNEL_STEPS[1:], start=1):
        candidates = np.flatnonzero(step == k)
        ok = candidates[time[candidates] >= reached[unit[candidates]]]
        reached_k = np.full_like(reached, never)
        np.minimum.at(reached_k, unit[ok], time[ok])
        reached = reached_k
        at = reached[unit[first]]
        reach[name] = pd.to_datetime(np.where(at == never, np.iinfo(np.int64).min, at), unit="ns")
    return reach[[*keys, FUNNEL_STEPS[0], "channel_id", *FUNNEL_STEPS[1:]]]


def _steps_from_reach(reach: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    steps = list(FUNNEL_STEPS)
    if keys:
        counts = reach.groupby(keys, dropna=False)[steps].count()
    else:
        counts = reach[steps].count().to_frame().T
    return steps_from_counts(counts, keys)


def steps_from_counts(counts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Step rows (``funnel_steps``' columns) from units reached per step: ``counts`` has one
    column per step of FUNNEL_STEPS, indexed by ``keys`` (one row without keys) — e.g. the
    stored daily step counts summed over a period by the report selector."""
    steps = list(FUNNEL_STEPS)
    counts = counts[steps].astype("int64")
    visits = counts[steps[0]].astype("float64")
    overall = counts.div(visits.where(visits != 0), axis=0)
    previous = counts.shift(1, axis=1).astype("float64")
    step_conversion = counts.div(previous.where(previous != 0))
    # The first step has no previous step: its step conversion is its overall conversion.
    step_conversion[steps[0]] = overall[steps[0]]
    long = pd.concat(
        {
            "count": counts.stack(),
            "step_conversion": step_conversion.stack(future_stack=True),
            "overall_conversion": overall.stack(future_stack=True),
        },
        axis=1,
    )
    # Without keys the frame's single row has a throw-away index level: name it to drop it.
    long.index = long.index.set_names([*(keys or ["row"]), "step"])
    long = long.reset_index()
    return long[[*keys, "step", "count", "step_conversion", "overall_conversion"]]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator with NaN (never inf) where the denominator is 0."""
    denominator = denominator.astype("float64")
    return numerator.astype("float64") / denominator.where(denominator != 0, np.nan)
