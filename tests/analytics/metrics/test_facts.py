"""Report facts on frames small enough to check on paper."""

from datetime import date

import numpy as np
import pandas as pd

from analytics.metrics.facts import (
    activity_cells,
    cohort_cells,
    cohort_days,
    cohort_facts,
    corrected_cohort_cells,
    product_reviews,
    product_sales,
)
from analytics.metrics.recency import order_days

T = pd.Timestamp
NaN = np.nan


def lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": [1, 1, 2, 3],
            "paid_at": [T("2026-03-01 10:00"), T("2026-03-01 10:00"), T("2026-03-01 23:30"),
                        T("2026-03-02 00:10")],
            "product_id": [1, 2, 1, 1],
            "category_id": [10, 20, 10, 10],
            "channel_id": [1.0, 1.0, 1.0, NaN],
            "quantity": [2, 1, 1, 3],
            "net_amount": [20.0, 15.0, 10.0, 27.0],
            "unit_cost": [4.0, 9.0, 4.0, 4.0],
            "returned_quantity": [1, 0, 0, 0],
        }
    )  # fmt: skip


def test_product_sales_per_day_product_and_channel():
    sales = product_sales(lines())
    rows = [
        tuple(r) for r in sales.astype(object).where(sales.notna(), None).itertuples(index=False)
    ]
    assert rows == [
        (date(2026, 3, 1), 1, 1.0, 3, 2, 30.0, 12.0, 1),
        (date(2026, 3, 1), 2, 1.0, 1, 1, 15.0, 9.0, 0),
        (date(2026, 3, 2), 1, None, 3, 1, 27.0, 12.0, 0),
    ]


def test_product_reviews_count_positive_at_the_setting():
    reviews = pd.DataFrame(
        {
            "product_id": [1, 1, 1, 2],
            "rating": [5, 4, 3, 1],
            "created_at": [T("2026-03-01 09:00"), T("2026-03-01 22:00"), T("2026-03-01 23:59"),
                           T("2026-03-02 08:00")],
        }
    )  # fmt: skip
    assert product_reviews(reviews).values.tolist() == [
        [date(2026, 3, 1), 1, 3, 2],
        [date(2026, 3, 2), 2, 1, 0],
    ]
    assert product_reviews(reviews, positive_rating=5)["positive_reviews"].tolist() == [1, 0]


def test_activity_cells_hold_totals_and_categories():
    events = pd.DataFrame(
        {
            "occurred_at": [T("2026-03-01 10:05"), T("2026-03-01 10:20"), T("2026-03-01 23:40")],
            "product_id": [1, NaN, 2],
        }
    )
    cells = activity_cells(events, lines(), pd.Series({1: 10, 2: 20}))
    got = [
        (d, h, None if c != c else int(c), e, o) for d, h, c, e, o in cells.itertuples(index=False)
    ]
    assert got == [
        (date(2026, 3, 1), 10, None, 2, 1),  # both events; order 1 once
        (date(2026, 3, 1), 10, 10, 1, 1),
        (date(2026, 3, 1), 10, 20, 0, 1),  # order 1 also has a line of category 20
        (date(2026, 3, 1), 23, None, 1, 1),
        (date(2026, 3, 1), 23, 10, 0, 1),
        (date(2026, 3, 1), 23, 20, 1, 0),
        (date(2026, 3, 2), 0, None, 0, 1),
        (date(2026, 3, 2), 0, 10, 0, 1),
    ]


def test_activity_cells_without_events_count_orders():
    no_events = pd.DataFrame(columns=["occurred_at", "product_id"])
    cells = activity_cells(no_events, lines(), pd.Series({1: 10, 2: 20}))
    assert cells["events"].sum() == 0
    assert cells[cells["category_id"].isna()]["orders"].tolist() == [1, 1, 1]


def cohort_orders() -> pd.DataFrame:
    """c1: 5 Jan (channel 1), 20 Jan (channel 2), 2 Mar · c2: 31 Jan · c3: twice on 10 Feb,
    the first without a channel · c4: 1 and 5 Apr · a guest on 10 Jan."""
    return pd.DataFrame(
        {
            "order_id": [1, 2, 3, 4, 5, 6, 7, 8, 9],
            "customer_id": [1, 1, 1, 2, 3, 3, 4, 4, NaN],
            "channel_id": [1, 2, 1, 1, NaN, 1, 1, 1, 1],
            "paid_at": [T("2026-01-05 12:00"), T("2026-01-20 12:00"), T("2026-03-02 09:00"),
                        T("2026-01-31 23:00"), T("2026-02-10 10:00"), T("2026-02-10 18:00"),
                        T("2026-04-01 08:00"), T("2026-04-05 08:00"), T("2026-01-10 08:00")],
            "net_amount": [100.0, 50.0, 30.0, 80.0, 40.0, 10.0, 60.0, 20.0, 999.0],
        }
    )  # fmt: skip


def test_cohort_days_count_first_orders_of_the_month_and_intervals():
    days = cohort_days(order_days(cohort_orders()))
    got = [
        (d, m, None if c != c else int(c), n, o, r, intervals)
        for d, m, c, n, o, r, intervals in days.itertuples(index=False)
    ]
    assert got == [
        (date(2026, 1, 5), date(2026, 1, 1), 1, 1, 1, 100.0, {}),
        # c1 again, by the first order's channel; not a new customer of January
        (date(2026, 1, 20), date(2026, 1, 1), 1, 0, 1, 50.0, {"15": 1}),
        (date(2026, 1, 31), date(2026, 1, 1), 1, 1, 1, 80.0, {}),
        (date(2026, 2, 10), date(2026, 2, 1), None, 1, 2, 50.0, {"0": 1}),
        # c1's first order of March: 41 days after the one before
        (date(2026, 3, 2), date(2026, 1, 1), 1, 1, 1, 30.0, {"41": 1}),
        (date(2026, 4, 1), date(2026, 4, 1), 1, 1, 1, 60.0, {}),
        (date(2026, 4, 5), date(2026, 4, 1), 1, 0, 1, 20.0, {"4": 1}),
    ]
    # Cells are the sums of any split of the days, e.g. as two runs stored them
    cells = cohort_cells(days)
    split = cohort_cells(pd.concat([days.iloc[:3], days.iloc[3:]], ignore_index=True))
    pd.testing.assert_frame_equal(split, cells)


def test_cells_corrected_for_replaced_days_equal_the_cells_of_the_new_days():
    """c1's order of 2 March is replaced by two orders that day (revenue 30 -> 70), and c4's
    5 April order disappears: the stored cells less the old days plus the new ones."""
    days = cohort_days(order_days(cohort_orders()))
    stored = cohort_cells(days)
    orders = cohort_orders()
    orders = pd.concat([orders[orders["order_id"] != 8], orders[orders["order_id"] == 3]])
    orders.iloc[-1, orders.columns.get_loc("order_id")] = 10
    orders.iloc[-1, orders.columns.get_loc("net_amount")] = 40.0
    new_days = cohort_days(order_days(orders))
    changed = days["date"].isin([date(2026, 3, 2), date(2026, 4, 5)])
    added = new_days[new_days["date"].isin([date(2026, 3, 2), date(2026, 4, 5)])]
    corrected = corrected_cohort_cells(stored, removed=days[changed], added=added)
    pd.testing.assert_frame_equal(corrected, cohort_cells(new_days))
    march = corrected[corrected["months_since"] == 2].iloc[0]
    # two orders of 2 March: 41 days after 20 January, then 0 days
    assert (march["orders"], march["revenue"], march["intervals"]) == (2, 70.0, {"0": 1, "41": 1})


def test_cohort_facts_by_first_month_and_channel():
    orders = cohort_orders()
    cohorts, cells = cohort_facts(orders, as_of=date(2026, 4, 15))
    got = [
        (m, None if c != c else int(c), n, matured, repeated)
        for m, c, n, matured, repeated in cohorts.itertuples(index=False)
    ]
    assert got == [
        # customer 1: 15 days to the second order (repurchased); customer 2: one order
        (date(2026, 1, 1), 1, 2, 2, 1),
        # customer 3: first order without a channel, a second one the same day
        (date(2026, 2, 1), None, 1, 1, 1),
        # customer 4: first order 14 days before as_of, not matured yet
        (date(2026, 4, 1), 1, 1, 0, 0),
    ]
    got = [
        (m, None if c != c else int(c), k, n, o, r, intervals)
        for m, c, k, n, o, r, intervals in cells.itertuples(index=False)
    ]
    # The days since the previous paid order, in the month of the later order: customer 1's
    # 15 days in January (month 0) and 41 days in March (month 2).
    assert got == [
        (date(2026, 1, 1), 1, 0, 2, 3, 230.0, {"15": 1}),
        (date(2026, 1, 1), 1, 2, 1, 1, 30.0, {"41": 1}),
        (date(2026, 2, 1), None, 0, 1, 2, 50.0, {"0": 1}),
        (date(2026, 4, 1), 1, 0, 1, 2, 80.0, {"4": 1}),
    ]
    # A month later c4's first order has matured, and c4 did order again within 30 days
    later, _ = cohort_facts(orders, as_of=date(2026, 5, 15))
    assert later[["customers", "matured_30d", "repurchased_30d"]].values.tolist()[-1] == [1, 1, 1]


def test_empty_inputs_give_empty_tables():
    empty = lines().iloc[:0]
    assert product_sales(empty).empty
    assert activity_cells(
        pd.DataFrame(columns=["occurred_at", "product_id"]), empty, pd.Series()
    ).empty
    cohorts, cells = cohort_facts(
        pd.DataFrame(columns=["order_id", "customer_id", "channel_id", "paid_at", "net_amount"]),
        as_of=date(2026, 4, 15),
    )
    assert cohorts.empty and cells.empty
