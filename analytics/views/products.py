"""``/reports/products/``: the product matrix (star, 引流款 traffic driver, 利润款 profit
contributor, long tail) and quality flags (return rate vs positive reviews)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from analytics.pages import Chart, Column, ReportPage, Table, frame_rows
from analytics.selectors import ReportFilter, product_report

QUADRANT_LABELS = {
    "star": _("star (high volume, high margin)"),
    "traffic_driver": _("traffic driver 引流款 (high volume, low margin)"),
    "profit_contributor": _("profit contributor 利润款 (low volume, high margin)"),
    "long_tail": _("long tail (low volume, low margin)"),
}
LIST_SIZE = 10

MATRIX_COLUMNS = [
    Column("code", _("Code")),
    Column("name", _("Product")),
    Column("quadrant_label", _("Quadrant")),
    Column("units", _("Units"), "int"),
    Column("revenue", _("Revenue"), "money"),
    Column("gross_profit", _("Gross profit"), "money"),
    Column("margin", _("Gross margin"), "percent"),
]

LIST_COLUMNS = [c for c in MATRIX_COLUMNS if c.key != "quadrant_label"]


def _split_line(x0, x1, y0, y1, label) -> dict:
    return {
        "type": "line",
        "label": str(label),
        "data": [{"x": x0, "y": y0}, {"x": x1, "y": y1}],
        "borderDash": [6, 4],
        "borderColor": "#64748b",
        "pointRadius": 0,
        "showLine": True,
        "fill": False,
    }


class ProductsPage(ReportPage):
    template_name = "analytics/products.html"
    title = _("Products")
    filter_fields = ("channel", "category")

    def report(self, f: ReportFilter) -> dict:
        report = product_report(f)
        rows = frame_rows(report.matrix)
        for row in rows:
            row["quadrant_label"] = str(QUADRANT_LABELS.get(row["quadrant"], row["quadrant"]))
        by_revenue = sorted(rows, key=lambda r: (-(r["revenue"] or 0), r["code"] or ""))
        matrix = Table(
            "matrix",
            _("Product matrix"),
            MATRIX_COLUMNS,
            by_revenue,
            empty=_("No product sold in this period: widen the dates or clear the filters."),
        )
        with_margin = [r for r in rows if r["margin"] is not None]
        lists = [
            Table(
                "top_revenue", _("Top products by revenue"), LIST_COLUMNS, by_revenue[:LIST_SIZE]
            ),
            Table(
                "bottom_revenue",
                _("Bottom products by revenue"),
                LIST_COLUMNS,
                list(reversed(by_revenue))[:LIST_SIZE],
            ),
            Table(
                "top_profit",
                _("Top products by gross profit"),
                LIST_COLUMNS,
                sorted(rows, key=lambda r: (-(r["gross_profit"] or 0), r["code"] or ""))[
                    :LIST_SIZE
                ],
            ),
            Table(
                "bottom_margin",
                _("Lowest gross margin"),
                LIST_COLUMNS,
                sorted(with_margin, key=lambda r: (r["margin"], r["code"] or ""))[:LIST_SIZE],
            ),
        ]
        flags = frame_rows(report.flags)
        names = {r["product_id"]: r for r in rows}
        for row in flags:
            row["name"] = row.get("name") or names.get(row["product_id"], {}).get("name")
        a = settings.ANALYTICS
        quality = Table(
            "quality",
            _("Returns and reviews"),
            [
                Column("code", _("Code")),
                Column("name", _("Product")),
                Column("units_sold", _("Units sold"), "int"),
                Column("returned_units", _("Returned units"), "int"),
                Column("return_rate", _("Return rate"), "percent"),
                Column("reviews", _("Reviews"), "int"),
                Column("positive_rate", _("Positive reviews"), "percent"),
                Column("flag", _("Flagged")),
            ],
            sorted(
                [{**r, "flag": str(_("yes")) if r["flagged"] else ""} for r in flags],
                key=lambda r: (not r["flagged"], -(r["return_rate"] or 0), r["code"] or ""),
            ),
            empty=_("No product sold in this period."),
        )
        charts = {
            "matrix": self._matrix_chart(rows, report.volume_split, report.margin_split, matrix),
            "quality": self._quality_chart(flags, a, quality),
        }
        return {
            "report": report,
            "quadrants": self._quadrant_counts(rows),
            "flagged_count": sum(1 for r in flags if r["flagged"]),
            "thresholds": {
                "return_rate": a["QUALITY_RETURN_RATE"],
                "positive_rate": a["QUALITY_POSITIVE_RATE"],
                "min_units": a["QUALITY_MIN_UNITS"],
            },
            "tables": [matrix, *lists, quality],
            "named": {t.name: t for t in (matrix, *lists, quality)},
            "lists": lists,
            "charts": list(charts.values()),
            "chart": charts,
        }

    @staticmethod
    def _quadrant_counts(rows: list[dict]) -> list[dict]:
        return [
            {
                "code": code,
                "label": label,
                "products": sum(1 for r in rows if r["quadrant"] == code),
                "revenue": sum(r["revenue"] or 0 for r in rows if r["quadrant"] == code),
            }
            for code, label in QUADRANT_LABELS.items()
        ]

    @staticmethod
    def _matrix_chart(rows, volume_split, margin_split, table) -> Chart:
        datasets = [
            {
                "label": str(label),
                "data": [
                    {"x": r["units"], "y": r["margin"], "name": r["name"]}
                    for r in rows
                    if r["quadrant"] == code and r["margin"] is not None
                ],
            }
            for code, label in QUADRANT_LABELS.items()
        ]
        if rows:
            units = [r["units"] for r in rows]
            margins = [r["margin"] for r in rows if r["margin"] is not None] or [0]
            lo, hi = min([*margins, margin_split]), max([*margins, margin_split])
            datasets.append(_split_line(volume_split, volume_split, lo, hi, _("volume split")))
            datasets.append(
                _split_line(0, max(units), margin_split, margin_split, _("margin split"))
            )
        return Chart(
            _("Sales volume vs gross margin"),
            "scatter",
            [],
            datasets,
            options={
                "scales": {
                    "x": {"title": {"display": True, "text": str(_("Units"))}},
                    "y": {"title": {"display": True, "text": str(_("Gross margin"))}},
                }
            },
            table=str(table.title),
        )

    @staticmethod
    def _quality_chart(flags, a, table) -> Chart:
        rated = [
            r for r in flags if r["positive_rate"] is not None and r["return_rate"] is not None
        ]
        datasets = [
            {
                "label": str(_("flagged")),
                "backgroundColor": "#dc2626",
                "pointRadius": 6,
                "data": [
                    {"x": r["positive_rate"], "y": r["return_rate"]} for r in rated if r["flagged"]
                ],
            },
            {
                "label": str(_("not flagged")),
                "backgroundColor": "#94a3b8",
                "data": [
                    {"x": r["positive_rate"], "y": r["return_rate"]}
                    for r in rated
                    if not r["flagged"]
                ],
            },
        ]
        if rated:
            top = max([r["return_rate"] for r in rated] + [a["QUALITY_RETURN_RATE"]])
            datasets.append(
                _split_line(
                    a["QUALITY_POSITIVE_RATE"],
                    a["QUALITY_POSITIVE_RATE"],
                    0,
                    top,
                    _("positive-rate threshold"),
                )
            )
            datasets.append(
                _split_line(
                    0,
                    1,
                    a["QUALITY_RETURN_RATE"],
                    a["QUALITY_RETURN_RATE"],
                    _("return-rate threshold"),
                )
            )
        return Chart(
            _("Return rate vs positive review rate"),
            "scatter",
            [],
            datasets,
            options={
                "scales": {
                    "x": {
                        "min": 0,
                        "max": 1,
                        "title": {"display": True, "text": str(_("Positive reviews"))},
                    },
                    "y": {"min": 0, "title": {"display": True, "text": str(_("Return rate"))}},
                }
            },
            table=str(table.title),
        )
