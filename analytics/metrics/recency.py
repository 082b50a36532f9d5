"""Customer recency by day (客户最近一次下单、活跃距今天数): the state the trailing-window KPIs
are counted from.

At the end of each day every customer stands somewhere: so many days since the latest paid
order, since the order before it, since the latest event. Kept as histograms per day, these
are all that the trailing-window KPIs of ``kpis`` need (DESIGN §3, each over the window
ending on day d):

- repurchase_rate = customers whose second-latest paid order is ≤ 89 days old / customers
  whose latest is ≤ 89 days old (≥ 2 and ≥ 1 paid orders in the 90 days ending on d);
- churn_rate = customers whose latest paid order is 91–120 days old / customers whose latest
  was ≤ 90 days old on d − 30 (active then, not now);
- win_back_rate = customers won back in (d − 30, d] / customers whose latest paid order was
  ≥ 91 days old on d − 30 (in warning or lost then). A customer is won back by a paid order
  placed more than 90 days after the previous one, and counts for d when that previous
  order is at least 121 days before d (lapsed on d − 30): so a return after a gap of g days
  counts on the days t … min(t + 29, t − g + 121 + 29) ∩ [t + 121 − g, …], and gaps of 92
  to 121 days (121 meaning 121 or more) are all that matter;
- repurchase_rate_30d = of the customers whose first paid order was 30–59 days before d,
  those whose second paid order came within 30 days of the first (the same day counts);
- dau, mau = customers whose latest event is 0 days, ≤ 29 days old.

A day's histograms follow from the day before's and that day's own orders and events: every
customer who ordered moves to 0 days, everyone else is one day older. So :func:`customer_history`
counts a run of days from the histograms of the day before it and the orders and events of
those days, each customer's row carrying what their earlier orders say (the previous order
day, the first order): a recomputation from day S reads the orders and events from S on,
each of their customers' first and last two paid orders before S, their latest event in the
30 days before S, and the stored histograms of the 59 days before S — never the whole
history. Counted from the first paid order with nothing before it, the same function gives
the full computation, and both give the same numbers (tests/analytics/metrics/test_recency.py).

Histograms are lists indexed by days; the last entry of ``latest`` and ``previous`` counts
that many days or more, ``active`` keeps 0–29 days only. Inputs follow the metrics
conventions (naive local timestamps); day numbers are days since 1970-01-01.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

REPURCHASE_DAYS = 90  # window of the repurchase rate
ACTIVE_DAYS = 90  # active while the latest paid order is at most this old
PERIOD_DAYS = 30  # churn and win-back compare a day with the day 30 days earlier
FIRST_REPEAT_DAYS = 30  # the 30-day repurchase: a second order within 30 days of the first
COHORT_AGES = (30, 59)  # ... of the customers whose first order is 30–59 days old
MAU_DAYS = 30

LATEST_WIDTH = ACTIVE_DAYS + PERIOD_DAYS + 2  # 0 … 120 days exact, then "121 or more"
PREVIOUS_WIDTH = REPURCHASE_DAYS + 1  # 0 … 89 days exact, then "90 or more"
ACTIVE_WIDTH = MAU_DAYS  # 0 … 29 days
RETURN_GAPS = np.arange(ACTIVE_DAYS + 2, ACTIVE_DAYS + PERIOD_DAYS + 2)  # 92 … 121 (or more)
SECOND_WIDTH = FIRST_REPEAT_DAYS + 1  # second orders 0 … 30 days after the first
LOOKBACK_DAYS = COHORT_AGES[1]  # the rates of day S read the days S − 59 … S − 1
NONE = np.iinfo(np.int64).min // 4  # "no such day"
NEVER = np.iinfo(np.int64).max // 4  # "not yet"

PRIOR_COLUMNS = [
    "customer_id",
    "first_paid_at",
    "first_channel_id",
    "last_paid_at",
    "previous_paid_at",
]
DAY_COLUMNS = [
    "customer_id", "day", "orders", "net_amount", "previous_day", "previous_orders",
    "day_before_previous", "next_day", "first_day", "first_channel_id",
]  # fmt: skip
RATE_COLUMNS = ["repurchase_rate", "churn_rate", "win_back_rate", "repurchase_rate_30d"]


def day_numbers(values) -> np.ndarray:
    """Local days (datetimes or dates; NaT allowed) → int64 days since 1970-01-01 (NaT → NONE)."""
    days = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]")
    numbers = days.astype("int64")
    return np.where(np.isnat(days), NONE, numbers)


def _date(number: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(number))


@dataclass(frozen=True)
class Recency:
    """Histograms for the consecutive days ``start`` … ``start + len − 1`` (one array row per day).

    latest: customers by days since their latest paid order (LATEST_WIDTH columns);
    previous: by days since their second-latest paid order (PREVIOUS_WIDTH);
    returned: customers ordering that day after 92 … 121+ days without (RETURN_GAPS);
    active: customers by days since their latest event (ACTIVE_WIDTH);
    first_orders: day, channel_id (NaN: none), customers — whose first paid order ever was
    that day, by its channel; second_orders: day, channel_id, days_after_first, customers —
    whose second paid order was that day, within 30 days of the first (by the first's channel).
    """

    start: date
    latest: np.ndarray
    previous: np.ndarray
    returned: np.ndarray
    active: np.ndarray
    first_orders: pd.DataFrame = field(repr=False)
    second_orders: pd.DataFrame = field(repr=False)

    def __len__(self) -> int:
        return len(self.latest)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=len(self) - 1)

    @property
    def days(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=len(self), freq="D", name="day")

    @classmethod
    def empty(cls, start: date, days: int = 0) -> Recency:
        """``days`` days from ``start`` without any customer."""
        return cls(
            start=start,
            latest=np.zeros((days, LATEST_WIDTH), dtype="int64"),
            previous=np.zeros((days, PREVIOUS_WIDTH), dtype="int64"),
            returned=np.zeros((days, len(RETURN_GAPS)), dtype="int64"),
            active=np.zeros((days, ACTIVE_WIDTH), dtype="int64"),
            first_orders=_no_rows(channel_id="float64", customers="int64"),
            second_orders=_no_rows(
                channel_id="float64", days_after_first="int64", customers="int64"
            ),
        )

    def between(self, start: date, end: date) -> Recency:
        """The days ``start`` … ``end``; days outside this run count no customer."""
        out = Recency.empty(start, (end - start).days + 1)
        lo, hi = max(start, self.start), min(end, self.end)
        if lo <= hi:
            source = slice((lo - self.start).days, (hi - self.start).days + 1)
            target = slice((lo - start).days, (hi - start).days + 1)
            for name in ("latest", "previous", "returned", "active"):
                getattr(out, name)[target] = getattr(self, name)[source]
        window = {
            name: frame[(frame["day"] >= pd.Timestamp(start)) & (frame["day"] <= pd.Timestamp(end))]
            for name, frame in (
                ("first_orders", self.first_orders),
                ("second_orders", self.second_orders),
            )
        }
        return Recency(
            start=start,
            latest=out.latest,
            previous=out.previous,
            returned=out.returned,
            active=out.active,
            first_orders=window["first_orders"].reset_index(drop=True),
            second_orders=window["second_orders"].reset_index(drop=True),
        )

    def to_records(self) -> pd.DataFrame:
        """One row per day, as ``CustomerRecency`` stores it: date, latest_order,
        previous_order, returned, latest_event (lists of counts), first_orders ({channel id
        or "": customers}), second_orders ({channel id or "": {days after the first:
        customers}}); JSON keys are text."""
        days = self.days
        firsts: list[dict] = [{} for _ in days]
        f = self.first_orders
        for i, channel, customers in zip(
            (f["day"] - days[0]).dt.days.tolist(),
            map(_channel_key, f["channel_id"].tolist()),
            f["customers"].tolist(),
            strict=True,
        ):
            firsts[i][channel] = customers
        seconds: list[dict] = [{} for _ in days]
        s = self.second_orders
        for i, channel, after, customers in zip(
            (s["day"] - days[0]).dt.days.tolist(),
            map(_channel_key, s["channel_id"].tolist()),
            s["days_after_first"].astype(str).tolist(),
            s["customers"].tolist(),
            strict=True,
        ):
            seconds[i].setdefault(channel, {})[after] = customers
        return pd.DataFrame(
            {
                "date": days.date,
                "latest_order": self.latest.tolist(),
                "previous_order": self.previous.tolist(),
                "returned": self.returned.tolist(),
                "latest_event": self.active.tolist(),
                "first_orders": firsts,
                "second_orders": seconds,
            }
        )

    @classmethod
    def from_records(cls, records: pd.DataFrame, *, start: date, end: date) -> Recency:
        """The days ``start`` … ``end`` from stored rows (``to_records``' columns, all or
        some); a day without a row, or a column not given, counts no customer."""
        out = cls.empty(start, (end - start).days + 1)
        index = [(day - start).days for day in records["date"]]
        inside = [i for i, at in enumerate(index) if 0 <= at < len(out)]
        for name, column in (
            ("latest", "latest_order"),
            ("previous", "previous_order"),
            ("returned", "returned"),
            ("active", "latest_event"),
        ):
            if column in records:
                histograms = records[column].tolist()
                target = getattr(out, name)
                for i in inside:
                    values = histograms[i] or []
                    target[index[i], : len(values)] = values
        firsts, seconds = [], []
        if "first_orders" in records:
            counts = records["first_orders"].tolist()
            firsts = [(index[i], k, n) for i in inside for k, n in (counts[i] or {}).items()]
        if "second_orders" in records:
            counts = records["second_orders"].tolist()
            seconds = [
                (index[i], k, int(after), n)
                for i in inside
                for k, by_days in (counts[i] or {}).items()
                for after, n in by_days.items()
            ]
        first_orders = _day_frame(firsts, start, ["channel_id", "customers"])
        second_orders = _day_frame(seconds, start, ["channel_id", "days_after_first", "customers"])
        return replace(out, first_orders=first_orders, second_orders=second_orders)


def _day_frame(rows: list[tuple], start: date, columns: list[str]) -> pd.DataFrame:
    """(day index from ``start``, channel key, …, customers) tuples → day, channel_id, …"""
    frame = pd.DataFrame(rows, columns=["day", *columns])
    frame["day"] = pd.Timestamp(start) + pd.to_timedelta(frame["day"].astype("int64"), unit="D")
    keys = frame["channel_id"].unique()
    frame["channel_id"] = frame["channel_id"].map({key: _channel_id(key) for key in keys})
    return frame.astype(
        {c: "int64" for c in columns if c != "channel_id"} | {"channel_id": "float64"}
    )


def _no_rows(**dtypes: str) -> pd.DataFrame:
    """An empty frame with a day column and ``dtypes``."""
    columns = {"day": np.array([], dtype="datetime64[ns]")}
    return pd.DataFrame(columns | {name: np.array([], dtype=t) for name, t in dtypes.items()})


def _channel_key(channel_id) -> str:
    return "" if channel_id != channel_id else str(int(channel_id))


def _channel_id(key: str) -> float:
    return float(key) if key else np.nan


@dataclass(frozen=True)
class Before:
    """What the days before a recomputation from ``start`` left, read from the database.

    prior_orders: PRIOR_COLUMNS — for each customer with a paid order from ``start`` on who
    had one before: the first paid order (time, channel) and the last two before ``start``
    (previous_paid_at NaT when there was only one);
    prior_events: customer_id, last_active_at — for each customer with an event from
    ``start`` on, the latest event in the 30 days before ``start`` (none: no row);
    recency: the stored histograms of the days before ``start`` (from ``start − 59`` at least).
    """

    start: date
    prior_orders: pd.DataFrame
    prior_events: pd.DataFrame
    recency: Recency


@dataclass(frozen=True)
class CustomerHistory:
    """days: :func:`order_days` rows of ``start`` … ``end``; recency: the histograms of those
    days; rates: day, RATE_COLUMNS (NaN where the denominator is 0); users: day, dau, mau."""

    start: date
    end: date
    days: pd.DataFrame = field(repr=False)
    recency: Recency = field(repr=False)
    rates: pd.DataFrame = field(repr=False)
    users: pd.DataFrame = field(repr=False)


def customer_history(
    *,
    orders: pd.DataFrame,
    events: pd.DataFrame,
    start: date,
    end: date,
    before: Before | None = None,
) -> CustomerHistory:
    """Order days, recency histograms, trailing rates and DAU/MAU of ``start`` … ``end``.

    orders: order_id, customer_id (NaN for guests), channel_id, paid_at, net_amount;
    events: customer_id (NaN: anonymous), occurred_at. With ``before`` they cover ``start`` …
    ``end`` and ``before`` stands for everything earlier. Without it ``orders`` are every
    paid order up to ``end`` and ``events`` cover at least ``start − 29`` … ``end``; the
    histograms are then counted from the first paid order, with nobody before it.
    """
    after_end = pd.Timestamp(end + timedelta(days=1))
    orders = orders[orders["paid_at"] < after_end]
    events = events[events["occurred_at"] < after_end]
    if before is None:
        days = order_days(orders)
        first = _date(days["day"].min()) if len(days) else start
        recency = order_recency(days, start=min(start, first), end=end, before=None)
        active = activity_recency(
            events, None, start=start - timedelta(days=MAU_DAYS - 1), end=end, before=None
        )
        lookback = recency
    else:
        days = order_days(orders, before.prior_orders)
        recency = order_recency(days, start=start, end=end, before=before.recency)
        active = activity_recency(
            events, before.prior_events, start=start, end=end, before=before.recency
        )
        lookback = before.recency
    n = (end - start).days + 1
    window = replace(recency.between(start, end), active=active[len(active) - n :])
    history = lookback.between(start - timedelta(days=LOOKBACK_DAYS), start - timedelta(days=1))
    rates = trailing_rates(concat(history, window), start=start, end=end)
    users = pd.DataFrame(
        {"day": window.days, "dau": window.active[:, 0], "mau": window.active.sum(axis=1)}
    )
    lo, hi = day_numbers([start, end])
    in_window = (days["day"] >= lo) & (days["day"] <= hi)
    return CustomerHistory(
        start=start,
        end=end,
        days=days[in_window].reset_index(drop=True),
        recency=window,
        rates=rates,
        users=users,
    )


def concat(first: Recency, second: Recency) -> Recency:
    """Two runs of days, the second starting the day after the first ends."""
    if len(first) == 0:
        return second
    if second.start != first.end + timedelta(days=1):
        raise ValueError(f"{second.start} does not follow {first.end}")
    return Recency(
        start=first.start,
        latest=np.vstack([first.latest, second.latest]),
        previous=np.vstack([first.previous, second.previous]),
        returned=np.vstack([first.returned, second.returned]),
        active=np.vstack([first.active, second.active]),
        first_orders=pd.concat([first.first_orders, second.first_orders], ignore_index=True),
        second_orders=pd.concat([first.second_orders, second.second_orders], ignore_index=True),
    )


def order_days(orders: pd.DataFrame, prior: pd.DataFrame | None = None) -> pd.DataFrame:
    """Paid orders of known customers by customer and local day, each row with what the
    customer's earlier orders say about it.

    orders: order_id, customer_id (NaN for guests: left out), channel_id, paid_at,
    net_amount — every paid order from some day on; prior: PRIOR_COLUMNS for the customers
    who had paid orders before that day (see :class:`Before`).

    Returns DAY_COLUMNS, one row per customer and day with paid orders, sorted; days are day
    numbers: orders and net_amount of the day; previous_day (NONE: the customer's first paid
    order ever) and previous_orders (paid orders that day, 2 meaning two or more);
    day_before_previous (the order day before previous_day; NONE when there is none, or when
    previous_orders is 2 and previous_day comes from ``prior``); next_day (NEVER: none yet);
    first_day and first_channel_id of the customer's first paid order ever (the earliest
    paid_at, then the lowest order_id).
    """
    known = orders[orders["customer_id"].notna()]
    if known.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in DAY_COLUMNS}).astype(
            {"net_amount": "float64", "first_channel_id": "float64"}
        )
    customer = known["customer_id"].to_numpy().astype("int64")
    paid_at = known["paid_at"].to_numpy(dtype="datetime64[ns]")
    order = np.lexsort((known["order_id"].to_numpy(), paid_at, customer))
    customer, paid_at = customer[order], paid_at[order]
    channel = known["channel_id"].to_numpy(dtype="float64")[order]
    net = known["net_amount"].to_numpy(dtype="float64")[order]
    day = paid_at.astype("datetime64[D]").astype("int64")

    starts = np.flatnonzero(np.r_[True, (customer[1:] != customer[:-1]) | (day[1:] != day[:-1])])
    c, t = customer[starts], day[starts]
    count = np.diff(np.r_[starts, len(customer)])
    first_row = np.r_[True, c[1:] != c[:-1]]
    same_prev = ~first_row
    same_prev2 = same_prev & np.r_[False, same_prev[:-1]]
    owner = np.cumsum(first_row) - 1  # the customer's number, per row
    own_first_day = t[first_row][owner]
    own_first_channel = channel[starts][first_row][owner]

    p1 = p2 = np.full(len(c), NONE)
    prior_first_day = np.full(len(c), NONE)
    prior_first_channel = np.full(len(c), np.nan)
    if prior is not None and len(prior):
        at = pd.Index(prior["customer_id"].astype("int64")).get_indexer(c)
        has = at >= 0
        at = np.where(has, at, 0)
        p1 = np.where(has, day_numbers(prior["last_paid_at"])[at], NONE)
        p2 = np.where(has, day_numbers(prior["previous_paid_at"])[at], NONE)
        prior_first_day = np.where(has, day_numbers(prior["first_paid_at"])[at], NONE)
        prior_first_channel = np.where(
            has, prior["first_channel_id"].to_numpy(dtype="float64")[at], np.nan
        )
    has_prior = p1 != NONE
    two_on_p1 = has_prior & (p2 == p1)

    previous_day = np.where(same_prev, np.r_[NONE, t[:-1]], p1)
    previous_orders = np.where(
        same_prev, np.minimum(np.r_[0, count[:-1]], 2), np.where(two_on_p1, 2, has_prior)
    )
    day_before_previous = np.where(
        same_prev2,
        np.r_[NONE, NONE, t[:-2]][: len(t)],
        np.where(same_prev, np.r_[NONE, p1[:-1]], np.where(two_on_p1, NONE, p2)),
    )
    next_day = np.where(np.r_[same_prev[1:], False], np.r_[t[1:], NEVER], NEVER)
    return pd.DataFrame(
        {
            "customer_id": c,
            "day": t,
            "orders": count,
            "net_amount": np.add.reduceat(net, starts),
            "previous_day": previous_day,
            "previous_orders": previous_orders.astype("int64"),
            "day_before_previous": day_before_previous,
            "next_day": next_day,
            "first_day": np.where(has_prior, prior_first_day, own_first_day),
            "first_channel_id": np.where(has_prior, prior_first_channel, own_first_channel),
        }
    )


def second_order_gaps(days: pd.DataFrame) -> np.ndarray:
    """Per :func:`order_days` row: the days from the customer's first paid order to their
    second when this row's day holds the second (0: both on the first day), else −1."""
    t = days["day"].to_numpy()
    previous = days["previous_day"].to_numpy()
    first = days["first_day"].to_numpy()
    on_first_day = (previous == NONE) & (days["orders"].to_numpy() >= 2)
    next_after_first = (previous == first) & (days["previous_orders"].to_numpy() == 1)
    return np.where(on_first_day, 0, np.where(next_after_first, t - first, -1))


def order_recency(days: pd.DataFrame, *, start: date, end: date, before: Recency | None) -> Recency:
    """The order histograms (latest, previous, returned, first and second orders) of
    ``start`` … ``end`` from the :func:`order_days` rows of those days and the histograms of
    ``start − 1`` in ``before`` (None: nobody ordered before ``start``). ``active`` is left
    empty (:func:`activity_recency`)."""
    lo, hi = (int(x) for x in day_numbers([start, end]))
    n = hi - lo + 1
    rows = days[(days["day"] >= lo) & (days["day"] <= hi)]
    t = rows["day"].to_numpy()
    until = np.minimum(rows["next_day"].to_numpy() - 1, hi)
    previous = rows["previous_day"].to_numpy()
    previous_orders = rows["previous_orders"].to_numpy()
    from_before = (previous != NONE) & (previous < lo)  # replaces a customer counted before
    state = (
        Recency.empty(start)
        if before is None
        else before.between(start - timedelta(days=1), start - timedelta(days=1))
    )
    latest_before = state.latest[0] if len(state) else np.zeros(LATEST_WIDTH, dtype="int64")
    previous_before = state.previous[0] if len(state) else np.zeros(PREVIOUS_WIDTH, dtype="int64")

    # Latest order: each row from its day until the customer's next; the day before's
    # histogram carried on, less the customers who ordered again.
    latest = _carry(
        [
            _state_entries(latest_before, lo, hi),
            (t, t, until, 1),
            (previous[from_before], t[from_before], hi, -1),
        ],
        lo=lo, hi=hi, width=LATEST_WIDTH,
    )  # fmt: skip
    # Second-latest order: the same day's when a day has two, else the previous day's.
    second = np.where(rows["orders"].to_numpy() >= 2, t, previous)
    had_second = np.where(previous_orders >= 2, previous, rows["day_before_previous"].to_numpy())
    leaving = from_before & (had_second != NONE)
    previous_hist = _carry(
        [
            _state_entries(previous_before, lo, hi),
            (second[second != NONE], t[second != NONE], until[second != NONE], 1),
            (had_second[leaving], t[leaving], hi, -1),
        ],
        lo=lo, hi=hi, width=PREVIOUS_WIDTH,
    )  # fmt: skip

    gap = t - previous
    back = (previous != NONE) & (gap >= RETURN_GAPS[0])
    returned = np.zeros((n, len(RETURN_GAPS)), dtype="int64")
    np.add.at(returned, (t[back] - lo, np.minimum(gap[back], RETURN_GAPS[-1]) - RETURN_GAPS[0]), 1)

    channel = rows["first_channel_id"].to_numpy(dtype="float64")
    new = previous == NONE
    first_orders = _counts(t[new], channel[new], names=["channel_id"])
    repeat = second_order_gaps(rows)
    is_second = (repeat >= 0) & (repeat <= FIRST_REPEAT_DAYS)
    second_orders = _counts(
        t[is_second],
        channel[is_second],
        repeat[is_second],
        names=["channel_id", "days_after_first"],
    )
    return Recency(
        start=start,
        latest=latest,
        previous=previous_hist,
        returned=returned,
        active=np.zeros((n, ACTIVE_WIDTH), dtype="int64"),
        first_orders=first_orders,
        second_orders=second_orders,
    )


def activity_recency(
    events: pd.DataFrame,
    prior_events: pd.DataFrame | None,
    *,
    start: date,
    end: date,
    before: Recency | None,
) -> np.ndarray:
    """Customers by days since their latest event (0 … 29), one row per day of ``start`` …
    ``end``, from the events of those days, each customer's latest event in the 30 days
    before ``start`` (``prior_events``: customer_id, last_active_at) and the ``active``
    histogram of ``start − 1`` in ``before`` (None: nobody active before ``start``)."""
    lo, hi = (int(x) for x in day_numbers([start, end]))
    known = events[events["customer_id"].notna()]
    occurred = known["occurred_at"].to_numpy(dtype="datetime64[ns]")
    active = pd.DataFrame(
        {
            "customer_id": known["customer_id"].to_numpy().astype("int64"),
            "day": occurred.astype("datetime64[D]").astype("int64"),
        }
    )
    active = active[(active["day"] >= lo) & (active["day"] <= hi)].drop_duplicates()
    active = active.sort_values(["customer_id", "day"], kind="stable")
    c, t = active["customer_id"].to_numpy(), active["day"].to_numpy()
    first_row = np.r_[True, c[1:] != c[:-1]][: len(c)]
    next_day = np.where(np.r_[~first_row[1:], False], np.r_[t[1:], NEVER], NEVER)[: len(c)]
    until = np.minimum(next_day - 1, hi)
    previous = np.full(len(c), NONE)
    if prior_events is not None and len(prior_events):
        at = pd.Index(prior_events["customer_id"].astype("int64")).get_indexer(c)
        last = day_numbers(prior_events["last_active_at"])
        previous = np.where(first_row & (at >= 0), last[np.where(at >= 0, at, 0)], NONE)
    leaving = (previous != NONE) & (previous < lo) & (previous >= lo - ACTIVE_WIDTH)
    state = (
        Recency.empty(start)
        if before is None
        else before.between(start - timedelta(days=1), start - timedelta(days=1))
    )
    active_before = state.active[0] if len(state) else np.zeros(ACTIVE_WIDTH, dtype="int64")
    histogram = _carry(
        [
            _state_entries(active_before, lo, hi),
            (t, t, until, 1),
            (previous[leaving], t[leaving], hi, -1),
        ],
        lo=lo, hi=hi, width=ACTIVE_WIDTH + 1,
    )  # fmt: skip
    return histogram[:, :ACTIVE_WIDTH]


def trailing_rates(recency: Recency, *, start: date, end: date) -> pd.DataFrame:
    """The trailing-window rates of the module docstring for each day of ``start`` …
    ``end``, from histograms covering ``start − 59`` … ``end``.

    Returns day, the RATE_COLUMNS and their numerators and denominators (repurchase: two,
    one; churn: churned, active_then; win-back: won, lapsed_then; 30-day: repeated, cohort).
    """
    history = recency.between(start - timedelta(days=LOOKBACK_DAYS), end)
    lo = int(day_numbers([history.start])[0])
    n = len(history)
    latest, previous = history.latest, history.previous
    one = latest[:, :REPURCHASE_DAYS].sum(axis=1)
    two = previous[:, :REPURCHASE_DAYS].sum(axis=1)
    active = latest[:, : ACTIVE_DAYS + 1].sum(axis=1)
    lapsed = latest[:, ACTIVE_DAYS + 1 :].sum(axis=1)
    churned = latest[:, ACTIVE_DAYS + 1 : ACTIVE_DAYS + PERIOD_DAYS + 1].sum(axis=1)
    # A return after a gap g counts on day t + k (k < 30) when g ≥ 121 − k.
    at_least = np.cumsum(history.returned[:, ::-1], axis=1)[:, ::-1]  # returns with gap ≥ column's
    won = np.zeros(n, dtype="int64")
    for k in range(PERIOD_DAYS):
        column = ACTIVE_DAYS + PERIOD_DAYS + 1 - k - RETURN_GAPS[0]
        won[k:] += at_least[: n - k, column]
    firsts = np.zeros(n, dtype="int64")
    f = history.first_orders
    np.add.at(firsts, day_numbers(f["day"]) - lo, f["customers"].to_numpy(dtype="int64"))
    repeated_by_first = np.zeros(n, dtype="int64")
    s = history.second_orders
    first_day = day_numbers(s["day"]) - s["days_after_first"].to_numpy(dtype="int64") - lo
    inside = first_day >= 0
    np.add.at(repeated_by_first, first_day[inside], s["customers"].to_numpy(dtype="int64")[inside])
    young, old = COHORT_AGES
    window = np.r_[0, np.cumsum(firsts)]
    cohort_sums = np.r_[0, np.cumsum(repeated_by_first)]

    rows = np.arange(LOOKBACK_DAYS, n)  # the days start … end
    cohort = window[rows - young + 1] - window[rows - old]
    repeated = cohort_sums[rows - young + 1] - cohort_sums[rows - old]
    frame = pd.DataFrame(
        {
            "day": history.days[rows],
            "two": two[rows], "one": one[rows],
            "churned": churned[rows], "active_then": active[rows - PERIOD_DAYS],
            "won": won[rows], "lapsed_then": lapsed[rows - PERIOD_DAYS],
            "repeated": repeated, "cohort": cohort,
        }
    )  # fmt: skip
    for rate, (numerator, denominator) in {
        "repurchase_rate": ("two", "one"),
        "churn_rate": ("churned", "active_then"),
        "win_back_rate": ("won", "lapsed_then"),
        "repurchase_rate_30d": ("repeated", "cohort"),
    }.items():
        d = frame[denominator].to_numpy(dtype="float64")
        frame[rate] = np.where(d > 0, frame[numerator] / np.where(d > 0, d, 1), np.nan)
    return frame


def _state_entries(histogram: np.ndarray, lo: int, hi: int):
    """The customers of the day before ``lo`` (histogram by days since) as entries that
    last the whole run."""
    r = np.arange(len(histogram))
    keep = histogram != 0
    return (lo - 1 - r[keep], np.full(keep.sum(), lo), hi, histogram[keep])


def _carry(entries, *, lo: int, hi: int, width: int) -> np.ndarray:
    """For each day d of ``lo`` … ``hi`` (rows), the summed weight of the entries (day t,
    valid from, valid to, weight) valid on d, by d − t (columns 0 … width − 2; the last
    column: width − 1 days or more). Entries before ``lo − width`` are in the last column
    on every day, so they are all counted at ``lo − width``.

    One two-dimensional running sum over (entry day, day): O(entries + days × (days + width)).
    """
    n = hi - lo + 1
    base = lo - width
    grid = np.zeros((n + width + 1, n + 1), dtype="int64")
    for t, valid_from, valid_to, weight in entries:
        t = np.asarray(t, dtype="int64")
        valid_from = np.broadcast_to(np.asarray(valid_from, dtype="int64"), t.shape)
        valid_to = np.broadcast_to(np.asarray(valid_to, dtype="int64"), t.shape)
        weight = np.broadcast_to(np.asarray(weight, dtype="int64"), t.shape)
        keep = (valid_to >= valid_from) & (valid_to >= lo) & (valid_from <= hi)
        row = np.maximum(t[keep], base) - base
        np.add.at(grid, (row, np.clip(valid_from[keep] - lo, 0, n)), weight[keep])
        np.add.at(grid, (row, np.clip(valid_to[keep] - lo, -1, n - 1) + 1), -weight[keep])
    grid = np.cumsum(grid, axis=1)[:, :n]
    d = np.arange(n)
    r = np.arange(width - 1)
    out = np.empty((n, width), dtype="int64")
    out[:, : width - 1] = grid[d[:, None] + width - r[None, :], d[:, None]]
    out[:, width - 1] = np.cumsum(grid, axis=0)[d + 1, d]
    return out


def _counts(day: np.ndarray, *keys: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Rows counted by day number and keys: day (Timestamp), *names, customers."""
    frame = pd.DataFrame({"day": day, **dict(zip(names, keys, strict=True))})
    counts = frame.groupby(["day", *names], dropna=False).size().rename("customers").reset_index()
    counts["day"] = pd.to_datetime(counts["day"].to_numpy(dtype="int64"), unit="D")
    return counts.astype({"customers": "int64"})
