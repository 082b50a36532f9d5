from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from analytics.models import CustomerScore, ProductAffinity
from analytics.writers import upsert_frame
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_upsert_inserts_then_updates_by_key_with_rounded_money_and_nulls():
    a, b = f.CustomerFactory(), f.CustomerFactory()
    frame = pd.DataFrame(
        {
            "customer_id": [a.pk, b.pk],
            "as_of": [date(2026, 6, 30)] * 2,
            "frequency": [3, 0],
            "monetary": [123.455, 0.0],
            "lifecycle_stage": ["active", "prospect"],
            "p_alive": [0.75, np.nan],
            "r_score": [5, np.nan],
        }
    )
    assert upsert_frame(CustomerScore, frame, unique_fields=["customer_id"]) == 2
    score = CustomerScore.objects.get(customer=a)
    assert (score.monetary, score.p_alive, score.r_score) == (Decimal("123.46"), 0.75, 5)
    assert CustomerScore.objects.get(customer=b).p_alive is None

    frame.loc[0, ["frequency", "monetary"]] = [4, 200.0]
    upsert_frame(CustomerScore, frame.iloc[[0]], unique_fields=["customer_id"])
    score.refresh_from_db()
    assert (score.frequency, score.monetary) == (4, Decimal("200.00"))
    assert CustomerScore.objects.count() == 2


def test_upsert_refuses_unknown_columns():
    with pytest.raises(ValueError, match="no column"):
        upsert_frame(ProductAffinity, pd.DataFrame({"colour": ["red"]}), unique_fields=["colour"])


def test_replace_range_writes_json_and_replaces_only_the_range():
    from datetime import date

    from analytics.models import Cohort
    from analytics.writers import replace_range

    Cohort.objects.create(month=date(2026, 1, 1), customers=1, matured_30d=0, repurchased_30d=0)
    Cohort.objects.create(month=date(2026, 3, 1), customers=9, matured_30d=0, repurchased_30d=0)
    frame = pd.DataFrame(
        {
            "month": [date(2026, 2, 1)],
            "channel_id": [None],
            "customers": [5],
            "matured_30d": [4],
            "repurchased_30d": [2],
            "intervals": [{"0": 1, "41": 2}],
        }
    )
    written = replace_range(
        Cohort, frame, field="month", start=date(2026, 2, 1), end=date(2026, 3, 31),
    )  # fmt: skip
    assert written == 1
    rows = list(Cohort.objects.order_by("month").values_list("month", "customers", "intervals"))
    assert rows == [(date(2026, 1, 1), 1, {}), (date(2026, 2, 1), 5, {"0": 1, "41": 2})]
