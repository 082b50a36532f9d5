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

from analytics.metrics.recency.counting import (
    RATE_COLUMNS,
    activity_recency,
    order_recency,
    trailing_rates,
)
from analytics.metrics.recency.days import DAY_COLUMNS, PRIOR_COLUMNS, order_days, second_order_gaps
from analytics.metrics.recency.history import Before, CustomerHistory, customer_history
from analytics.metrics.recency.state import (
    ACTIVE_DAYS,
    ACTIVE_WIDTH,
    COHORT_AGES,
    FIRST_REPEAT_DAYS,
    LATEST_WIDTH,
    LOOKBACK_DAYS,
    MAU_DAYS,
    NEVER,
    NONE,
    PERIOD_DAYS,
    PREVIOUS_WIDTH,
    REPURCHASE_DAYS,
    RETURN_GAPS,
    SECOND_WIDTH,
    Recency,
    concat,
    day_numbers,
)

__all__ = [
    "ACTIVE_DAYS", "ACTIVE_WIDTH", "COHORT_AGES", "DAY_COLUMNS", "FIRST_REPEAT_DAYS",
    "LATEST_WIDTH", "LOOKBACK_DAYS", "MAU_DAYS", "NEVER", "NONE", "PERIOD_DAYS",
    "PREVIOUS_WIDTH", "PRIOR_COLUMNS", "RATE_COLUMNS", "REPURCHASE_DAYS", "RETURN_GAPS",
    "SECOND_WIDTH", "Before", "CustomerHistory", "Recency", "activity_recency", "concat",
    "customer_history", "day_numbers", "order_days", "order_recency", "second_order_gaps",
    "trailing_rates",
]  # fmt: skip
