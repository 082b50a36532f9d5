"""The per-day histograms (``Recency``), how they are stored, and the module's constants."""

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


def day_numbers(values) -> np.ndarray:
    """Local days (datetimes or dates; NaT allowed) → int64 days since 1970-01-01 (NaT → NONE)."""
    days = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]")
    numbers = days.astype("int64")
    return np.where(np.isnat(days), NONE, numbers)


def date_of(number: int) -> date:
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
    if not rows:
        return _no_rows(**{c: "float64" if c == "channel_id" else "int64" for c in columns})
    index, keys, *counts = zip(*rows, strict=True)
    channels = {key: _channel_id(key) for key in set(keys)}
    day = np.datetime64(start, "D") + np.asarray(index, dtype="int64")
    frame = {"day": day.astype("datetime64[ns]"), "channel_id": [channels[k] for k in keys]}
    frame |= {c: np.asarray(v, dtype="int64") for c, v in zip(columns[1:], counts, strict=True)}
    return pd.DataFrame(frame).astype({"channel_id": "float64"})


def _no_rows(**dtypes: str) -> pd.DataFrame:
    """An empty frame with a day column and ``dtypes``."""
    columns = {"day": np.array([], dtype="datetime64[ns]")}
    return pd.DataFrame(columns | {name: np.array([], dtype=t) for name, t in dtypes.items()})


def _channel_key(channel_id) -> str:
    return "" if channel_id != channel_id else str(int(channel_id))


def _channel_id(key: str) -> float:
    return float(key) if key else np.nan


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
