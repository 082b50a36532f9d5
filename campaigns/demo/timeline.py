"""The demo's two years of time: when people shop, as an hourly intensity curve.

Every timestamp of the demo is an int64 count of seconds since the Unix epoch (UTC).
The curve lives on a grid of UTC hours from the local midnight two years before
``as_of`` to the local midnight after it, but its shape is read in local time (the shop's
``TIME_ZONE``): an evening peak, busier weekends, the Double 11 / 618 / Double 12 sales
and a quiet Spring Festival. Sampling from it (inverse CDF) and *warping* time by its
integral let the purchase model stay a plain Poisson process while the orders still
follow the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

HISTORY_DAYS = 730
HOUR = 3600
DAY = 86400

# Relative activity by local hour 0-23: quiet nights, lunch bump, evening peak at 20-22.
HOUR_PROFILE = np.array(
    [0.45, 0.25, 0.12, 0.08, 0.06, 0.08, 0.20, 0.40, 0.60, 0.75, 0.90, 0.95,
     1.05, 0.95, 0.85, 0.85, 0.85, 0.90, 1.00, 1.20, 1.50, 1.70, 1.45, 0.90]
)  # fmt: skip
# Monday … Sunday.
WEEKDAY_PROFILE = np.array([0.94, 0.92, 0.95, 0.98, 1.05, 1.12, 1.08])

# Spring Festival (lunar new year) dates; the week around it is quiet (couriers stop).
SPRING_FESTIVAL = {
    2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
    2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29),
    2026: date(2026, 2, 17), 2027: date(2027, 2, 6), 2028: date(2028, 1, 26),
    2029: date(2029, 2, 13), 2030: date(2030, 2, 3), 2031: date(2031, 1, 23),
}  # fmt: skip


def season_factor(day: date) -> float:
    """How busy a calendar day is relative to an ordinary one (sales peaks and lulls)."""
    m, d = day.month, day.day
    factor = 1.0 + 0.08 * np.cos(2 * np.pi * (day.timetuple().tm_yday - 15) / 365.25)
    if m == 11 and d == 11:
        factor *= 4.0  # Double 11 (Singles' Day)
    elif (m == 10 and d >= 24) or (m == 11 and d < 11):
        factor *= 1.5  # pre-sale weeks
    elif m == 11 and d <= 13:
        factor *= 1.4
    elif m == 6 and d == 18:
        factor *= 2.5  # 618
    elif m == 6 and d < 18:
        factor *= 1.35
    elif m == 12 and d == 12:
        factor *= 1.8  # Double 12
    elif m == 3 and d == 8:
        factor *= 1.3  # Women's Day
    festival = SPRING_FESTIVAL.get(day.year, date(day.year, 2, 1))
    if -7 <= (day - festival).days <= 7:
        factor *= 0.6
    return float(factor)


def is_promo_day(day: date) -> bool:
    """Days of the big sales, when most lines carry a promotional discount."""
    m, d = day.month, day.day
    return (
        (m == 11 and d <= 11)
        or (m == 10 and d >= 24)
        or (m == 6 and d <= 18)
        or (m == 12 and d == 12)
    )


@dataclass
class Timeline:
    """The hourly grid from ``start`` (inclusive) to ``end`` (exclusive), both epoch seconds."""

    as_of: date
    start: int
    end: int
    hours: int
    local_hour: np.ndarray  # per grid hour
    weekday: np.ndarray  # per grid hour, Monday = 0
    day: np.ndarray  # per grid hour: local day index, 0 = first day
    days: list[date]  # the local calendar days, oldest first
    day_start: np.ndarray  # epoch seconds of each local midnight (len(days) + 1)
    season: np.ndarray  # per local day
    promo: np.ndarray  # per local day, bool

    @classmethod
    def build(cls, as_of: date, tz_name: str, history_days: int = HISTORY_DAYS) -> Timeline:
        tz = ZoneInfo(tz_name)
        days = [as_of - timedelta(days=history_days - 1 - i) for i in range(history_days)]
        midnights = [*days, as_of + timedelta(days=1)]
        day_start = np.array(
            [int(datetime.combine(d, time.min, tzinfo=tz).timestamp()) for d in midnights],
            dtype=np.int64,
        )
        start, end = int(day_start[0]), int(day_start[-1])
        hours = -(-(end - start) // HOUR)
        middle = start + HOUR * np.arange(hours, dtype=np.int64) + HOUR // 2
        day = np.searchsorted(day_start, middle, side="right") - 1
        day = np.clip(day, 0, history_days - 1)
        local = [datetime.fromtimestamp(int(t), UTC).astimezone(tz) for t in middle]
        return cls(
            as_of=as_of,
            start=start,
            end=end,
            hours=hours,
            local_hour=np.array([t.hour for t in local], dtype=np.int64),
            weekday=np.array([t.weekday() for t in local], dtype=np.int64),
            day=day,
            days=days,
            day_start=day_start,
            season=np.array([season_factor(d) for d in days]),
            promo=np.array([is_promo_day(d) for d in days]),
        )

    def intensity(self, *, season: float = 1.0, growth: float = 0.0) -> np.ndarray:
        """Relative activity per grid hour.

        ``season`` scales how strongly the sales calendar shows (0 = flat); ``growth`` is
        the log of how much busier the last day is than the first (the shop grows).
        """
        seasonal = 1.0 + season * (self.season[self.day] - 1.0)
        trend = np.exp(growth * self.day / max(len(self.days) - 1, 1))
        return HOUR_PROFILE[self.local_hour] * WEEKDAY_PROFILE[self.weekday] * seasonal * trend

    def sample(self, rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
        """``n`` sorted instants drawn with density proportional to ``weights`` per hour."""
        cum = np.cumsum(weights)
        u = np.sort(rng.random(n)) * cum[-1]
        return self.unwarp(u, cum)

    def warp(self, t: np.ndarray, cum: np.ndarray) -> np.ndarray:
        """Cumulative intensity at instants ``t`` (``cum`` = cumsum of the hourly weights)."""
        return np.interp(t, self._knots(), np.r_[0.0, cum])

    def unwarp(self, tau: np.ndarray, cum: np.ndarray) -> np.ndarray:
        """The instants at which the cumulative intensity reaches ``tau``; < ``end``."""
        t = np.interp(tau, np.r_[0.0, cum], self._knots())
        return np.minimum(t.astype(np.int64), self.end - 1)

    def _knots(self) -> np.ndarray:
        return (self.start + HOUR * np.arange(self.hours + 1, dtype=np.int64)).astype(np.float64)

    def day_of(self, t: np.ndarray) -> np.ndarray:
        """Local day index (0 = first day) of instants ``t``."""
        return np.clip(np.searchsorted(self.day_start, t, side="right") - 1, 0, len(self.days) - 1)
