import csv
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from analytics.selectors import SCORE_EXPORT_COLUMNS
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def scores():
    f.CustomerScoreFactory(
        customer=f.CustomerFactory(external_id="C2"),
        recency_days=12,
        frequency=3,
        monetary=Decimal("250.50"),
        r_score=5,
        f_score=4,
        m_score=4,
        rfm_segment="champions",
        rfm_class="important_value",
        lifecycle_stage="active",
        historical_value=Decimal("900.00"),
        p_alive=0.9,
        predicted_purchases_90d=1.25,
        predicted_value_90d=Decimal("80.10"),
    )
    f.CustomerScoreFactory(customer=f.CustomerFactory(external_id="C1"), lifecycle_stage="prospect")


def test_csv_has_the_issue_columns_and_one_row_per_customer(scores, tmp_path):
    path = tmp_path / "scores.csv"
    out = StringIO()
    call_command("export_scores", str(path), stdout=out)
    assert "Exported 2 customer scores" in out.getvalue()
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == SCORE_EXPORT_COLUMNS
    assert rows[0][:4] == ["customer_id", "recency_days", "frequency", "monetary"]
    assert rows[1][0] == "C1" and rows[1][9] == "prospect" and rows[1][1] == ""
    assert rows[2] == [
        "C2",
        "12",
        "3",
        "250.50",
        "5",
        "4",
        "4",
        "champions",
        "important_value",
        "active",
        "900.00",
        "0.9",
        "1.25",
        "80.10",
    ]


def test_xlsx_export(scores, tmp_path):
    path = tmp_path / "scores.xlsx"
    call_command("export_scores", str(path), stdout=StringIO())
    sheet = load_workbook(path).active
    values = list(sheet.values)
    assert list(values[0]) == SCORE_EXPORT_COLUMNS
    assert values[2][0] == "C2" and values[2][7] == "champions"
    assert len(values) == 3


def test_unwritable_file_is_a_clear_error(scores, tmp_path):
    with pytest.raises(CommandError, match="cannot write"):
        call_command("export_scores", str(tmp_path / "missing" / "scores.csv"), stdout=StringIO())
