"""Computed tags on a hand-made set of customers; each expectation is checked by hand."""

from datetime import date

import pandas as pd

from analytics.metrics.tags import TagThresholds, computed_tags

AS_OF = date(2026, 6, 30)
T = pd.Timestamp


def frames():
    # customer 1: 3 orders, 2 discounted (2/3 > 50%) -> price-sensitive
    # customer 2: 2 orders, 1 discounted (1/2 is not > 50%) -> not price-sensitive
    # customer 3: 1 discounted order (< 2 orders) -> not price-sensitive
    # customer 4: 2 orders at 23:10 and 02:30 -> night-shopper (2/2 at night)
    # customer 5: orders at 21:59 and 06:00 -> not at night (boundaries are [22:00, 06:00))
    orders = pd.DataFrame(
        [
            (1, 11, T("2026-06-01 10:00"), 5.0, 95.0),
            (1, 12, T("2026-06-02 10:00"), 0.0, 100.0),
            (1, 13, T("2026-06-03 10:00"), 10.0, 90.0),
            (2, 21, T("2026-06-01 10:00"), 5.0, 95.0),
            (2, 22, T("2026-06-05 10:00"), 0.0, 100.0),
            (3, 31, T("2026-06-01 10:00"), 5.0, 95.0),
            (4, 41, T("2026-06-01 23:10"), 0.0, 60.0),
            (4, 42, T("2026-06-09 02:30"), 0.0, 40.0),
            (5, 51, T("2026-06-01 21:59"), 0.0, 50.0),
            (5, 52, T("2026-06-02 06:00"), 0.0, 50.0),
            # after as_of: ignored
            (3, 32, T("2026-07-01 00:00"), 5.0, 95.0),
        ],
        columns=["customer_id", "order_id", "paid_at", "discount_total", "net_amount"],
    )
    # customer 1: two products bought 0 and 30 days after launch -> new-product-trier;
    #             category 7: 95+90 = 185 of 285 = 64.9% -> category-lover
    # customer 2: top category 100 of 195 = 51% -> not; customer 5: 25 of 50 = 50% -> not
    # customer 2: one product 31 days after launch, one 5 days -> only 1 early product
    # customer 4: 60 in category 7, 40 in 8 -> 60% exactly -> category-lover
    # customer 5: 4 units, 2 returned (50%) -> high-returner; customer 2: 2 units 2 returned
    #             but below 3 units -> not
    lines = pd.DataFrame(
        [
            (1, 11, 100, 7, T("2026-06-01"), T("2026-06-01 10:00"), 1, 95.0, 0),
            (1, 12, 101, 8, T("2026-05-03"), T("2026-06-02 10:00"), 1, 100.0, 0),
            (1, 13, 102, 7, T("2026-05-04"), T("2026-06-03 10:00"), 1, 90.0, 0),
            (2, 21, 103, 7, T("2026-05-01"), T("2026-06-01 10:00"), 1, 95.0, 1),
            (2, 22, 104, 8, T("2026-05-31"), T("2026-06-05 10:00"), 1, 100.0, 1),
            (4, 41, 105, 7, pd.NaT, T("2026-06-01 23:10"), 1, 60.0, 0),
            (4, 42, 106, 8, pd.NaT, T("2026-06-09 02:30"), 1, 40.0, 0),
            (5, 51, 107, 7, pd.NaT, T("2026-06-01 21:59"), 2, 25.0, 1),
            (5, 52, 108, 8, pd.NaT, T("2026-06-02 06:00"), 2, 25.0, 1),
        ],
        columns=[
            "customer_id",
            "order_id",
            "product_id",
            "category_id",
            "launched_at",
            "paid_at",
            "quantity",
            "net_amount",
            "returned_quantity",
        ],
    )
    # customer 6: 5 shares within 90 days -> koc-candidate; customer 7: 2 shares + 1 paying
    # referral × 3 = 5 -> koc-candidate; customer 8: 4 shares, one of them 90 days before
    # the window (2026-04-01 is day 91) -> 3 -> not
    events = pd.DataFrame(
        [(6, "share", T(f"2026-06-0{d} 12:00")) for d in range(1, 6)]
        + [(7, "share", T("2026-06-10 12:00")), (7, "share", T("2026-06-11 12:00"))]
        + [(8, "share", T("2026-06-10 12:00"))] * 3
        + [(8, "share", T("2026-04-01 12:00")), (8, "visit", T("2026-06-10 12:00"))],
        columns=["customer_id", "type", "occurred_at"],
    )
    referrals = pd.DataFrame([(7, 1), (7, 0), (8, 0)], columns=["referrer_id", "paid_orders"])
    return orders, lines, events, referrals


def test_each_tag_rule_on_hand_checked_customers():
    orders, lines, events, referrals = frames()
    tags = computed_tags(
        orders=orders, lines=lines, events=events, referrals=referrals, as_of=AS_OF
    )
    got = {tag: sorted(group["customer_id"]) for tag, group in tags.groupby("tag")}
    assert got == {
        "price-sensitive": [1],
        "new-product-trier": [1],
        "high-returner": [5],
        "night-shopper": [4],
        "category-lover": [1, 4],
        "koc-candidate": [6, 7],
    }


def test_thresholds_are_settings():
    orders, lines, events, referrals = frames()
    strict = TagThresholds(lover_share=0.65, koc_min_score=6, returner_rate=0.6)
    tags = computed_tags(
        orders=orders,
        lines=lines,
        events=events,
        referrals=referrals,
        as_of=AS_OF,
        thresholds=strict,
    )
    got = {tag: sorted(group["customer_id"]) for tag, group in tags.groupby("tag")}
    # customer 1's top share is 64.9% < 65%; customer 2: 100/195 = 51%; 5: 50%: no lovers left
    assert "category-lover" not in got
    assert "koc-candidate" not in got
    assert "high-returner" not in got


def test_category_lover_sums_lines_per_category_and_counts_positive_spend_only():
    # customer 1: category 7 in two lines, 30 + 35 = 65 of 100 -> 65% -> lover (no single
    #             line reaches 60%)
    # customer 2: 50 in 7, 40 in 8, -20 in 9 (a discount above the price): shares are of
    #             the positive spend, 50 / 90 = 55.6% -> not a lover (50 / 70 would be)
    # customer 3: nothing positive (-10 in 7): no share at all
    orders = pd.DataFrame(
        [(c, c * 10 + i, T("2026-06-01 10:00"), 0.0, 50.0) for c in (1, 2, 3) for i in (1, 2)],
        columns=["customer_id", "order_id", "paid_at", "discount_total", "net_amount"],
    )
    lines = pd.DataFrame(
        [
            (1, 11, 100, 7, 30.0),
            (1, 12, 101, 7, 35.0),
            (1, 12, 102, 8, 35.0),
            (2, 21, 103, 7, 50.0),
            (2, 21, 104, 8, 40.0),
            (2, 22, 105, 9, -20.0),
            (3, 31, 106, 7, -10.0),
        ],
        columns=["customer_id", "order_id", "product_id", "category_id", "net_amount"],
    ).assign(launched_at=pd.NaT, paid_at=T("2026-06-01 10:00"), quantity=1, returned_quantity=0)
    no_events = pd.DataFrame(columns=["customer_id", "type", "occurred_at"])
    no_referrals = pd.DataFrame(columns=["referrer_id", "paid_orders"])
    tags = computed_tags(
        orders=orders, lines=lines, events=no_events, referrals=no_referrals, as_of=AS_OF
    )
    assert tags.loc[tags["tag"] == "category-lover", "customer_id"].tolist() == [1]
    looser = TagThresholds(lover_share=0.55)
    tags = computed_tags(
        orders=orders,
        lines=lines,
        events=no_events,
        referrals=no_referrals,
        as_of=AS_OF,
        thresholds=looser,
    )
    assert tags.loc[tags["tag"] == "category-lover", "customer_id"].tolist() == [1, 2]
