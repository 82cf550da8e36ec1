#!/usr/bin/env python3
"""Write the ISP cockpit spreadsheet dashboard (Odoo 18 spreadsheet JSON).

The dashboard is data, but a hand-edited JSON of cell formulas and figure
coordinates is hard to review: edit this script and run it again.

    python3 scripts/build_cockpit.py
"""

import json
import pathlib

OUT = (
    pathlib.Path(__file__).resolve().parent.parent
    / "isp_prepaid_billing/data/files/isp_cockpit_dashboard.json"
)
COMPANY_FILTER = "6c1f3e1a-0d5e-4c57-9a8e-1f2b3c4d5e61"
MONEY = "#,##0.00"
PERCENT = "0.0%"

SUBSCRIPTION_MEASURES = ["mrr", "subscriber_count", "new_count", "churned_count", "paused_count"]
MONEY_MEASURES = ["charged", "credited", "collected", "refunded"]

# id: (name, model, domain, measures, rows, columns)
PIVOTS = {
    1: ("MRR this month", "isp.report.subscription", [["period", "=", "current"]],
        SUBSCRIPTION_MEASURES, [], []),
    2: ("MRR last month", "isp.report.subscription", [["period", "=", "previous"]],
        SUBSCRIPTION_MEASURES, [], []),
    3: ("Balances", "isp.report.subscriber", [], ["debt", "held", "subscriber_count"], [], []),
    4: ("Overdue", "isp.report.receivable", [["age", "!=", "not_due"]],
        ["amount_residual"], [], []),
    5: ("Money this month", "isp.report.money", [["period", "=", "current"]],
        MONEY_MEASURES, [], []),
    6: ("Money last month", "isp.report.money", [["period", "=", "previous"]],
        MONEY_MEASURES, [], []),
    7: ("Blocked today", "isp.status.event",
        [["is_today", "=", True], ["status_to", "=", "blocked"]], ["__count"], [], []),
    8: ("Reactivated today", "isp.status.event",
        [["is_today", "=", True], ["is_reactivation", "=", True]], ["__count"], [], []),
    9: ("Refill cards sold", "isp.refill.card", [["state", "in", ["available", "redeemed"]]],
        ["__count", "value"], [], []),
    10: ("Refill cards redeemed", "isp.refill.card", [["state", "=", "redeemed"]],
         ["__count", "value"], [], []),
    11: ("Receivable by age", "isp.report.receivable", [], ["amount_residual"], ["age"], []),
    12: ("Subscribers by plan and status", "isp.report.subscriber", [],
         ["subscriber_count"], ["product_id"], ["status"]),
}

# Data sheet: label, formula, format (the cockpit's figures read column B).
DATA = [
    ("MRR", "=PIVOT.VALUE(1,\"mrr\")", MONEY),
    ("MRR last month", "=PIVOT.VALUE(2,\"mrr\")", MONEY),
    ("In service", "=PIVOT.VALUE(1,\"subscriber_count\")", None),
    ("In service last month", "=PIVOT.VALUE(2,\"subscriber_count\")", None),
    ("ARPU", "=IFERROR(B1/B3,0)", MONEY),
    ("ARPU last month", "=IFERROR(B2/B4,0)", MONEY),
    ("New this month", "=PIVOT.VALUE(1,\"new_count\")", None),
    ("Churned this month", "=PIVOT.VALUE(1,\"churned_count\")", None),
    ("Receivable", "=PIVOT.VALUE(3,\"debt\")", MONEY),
    ("Overdue", "=PIVOT.VALUE(4,\"amount_residual\")", MONEY),
    ("Prepaid balances held", "=PIVOT.VALUE(3,\"held\")", MONEY),
    ("Charged this month", "=PIVOT.VALUE(5,\"charged\")-PIVOT.VALUE(5,\"credited\")", MONEY),
    ("Collected this month", "=PIVOT.VALUE(5,\"collected\")-PIVOT.VALUE(5,\"refunded\")", MONEY),
    ("Collection rate", "=IFERROR(B13/B12,0)", PERCENT),
    ("Collection rate last month",
     "=IFERROR((PIVOT.VALUE(6,\"collected\")-PIVOT.VALUE(6,\"refunded\"))"
     "/(PIVOT.VALUE(6,\"charged\")-PIVOT.VALUE(6,\"credited\")),0)", PERCENT),
    ("Blocked today", "=PIVOT.VALUE(7,\"__count\")", None),
    ("Reactivated today", "=PIVOT.VALUE(8,\"__count\")", None),
    ("Refill cards sold", "=PIVOT.VALUE(9,\"__count\")", None),
    ("Refill cards redeemed", "=PIVOT.VALUE(10,\"__count\")", None),
    ("Last run", "=ODOO.LIST(1,1,\"name\")", None),
    ("Last run charged", "=ODOO.LIST(1,1,\"amount_total\")", MONEY),
    ("Last run errors", "=ODOO.LIST(1,1,\"error_count\")", None),
    ("Paused", "=PIVOT.VALUE(1,\"paused_count\")", None),
]
ROW = {label: index + 1 for index, (label, __, __) in enumerate(DATA)}


def cell(label):
    return f"Data!B{ROW[label]}"


def scorecard(fig_id, x, y, title, key, baseline=None, mode="text", descr="", tint="#EFF6FF"):
    data = {
        "type": "scorecard",
        "title": {"text": title, "color": "#434343", "bold": True},
        "background": tint,
        "keyValue": cell(key),
        "baselineMode": mode,
        "baselineDescr": descr,
        "baselineColorUp": "#00A04A",
        "baselineColorDown": "#DC6965",
        "humanize": False,
    }
    if baseline:
        data["baseline"] = cell(baseline)
    return {"id": fig_id, "x": x, "y": y, "width": 180, "height": 110, "tag": "chart", "data": data}


def odoo_chart(fig_id, x, y, width, title, kind, model, measure, group_by, domain=()):
    return {
        "id": fig_id, "x": x, "y": y, "width": width, "height": 300, "tag": "chart",
        "data": {
            "type": f"odoo_{kind}",
            "title": {"text": title},
            "background": "#FFFFFF",
            "legendPosition": "none" if kind != "pie" else "top",
            "metaData": {
                "groupBy": group_by, "measure": measure, "order": None,
                "resModel": model, "mode": kind,
            },
            "searchParams": {
                "comparison": None, "context": {}, "domain": list(domain),
                "groupBy": group_by, "orderBy": [],
            },
            "stacked": False,
            "fillArea": kind == "line",
            "cumulative": False,
            "verticalAxisPosition": "left",
            "fieldMatching": {COMPANY_FILTER: {"chain": "company_id", "type": "many2one"}},
        },
    }


def figures():
    row1, row2, charts = 10, 130, 260
    step = 190
    return [
        scorecard("isp-mrr", 0, row1, "MRR", "MRR", "MRR last month", "difference",
                  "vs last month"),
        scorecard("isp-arpu", step, row1, "ARPU", "ARPU", "ARPU last month", "difference",
                  "vs last month"),
        scorecard("isp-in-service", 2 * step, row1, "In Service", "In service",
                  "In service last month", "difference", "vs last month"),
        scorecard("isp-receivable", 3 * step, row1, "Receivable", "Receivable", "Overdue",
                  "text", "overdue", "#FEF2F2"),
        scorecard("isp-held", 4 * step, row1, "Prepaid Balances Held",
                  "Prepaid balances held"),
        scorecard("isp-collection", 5 * step, row1, "Collection Rate", "Collection rate",
                  "Collection rate last month", "text", "last month"),
        scorecard("isp-new", 0, row2, "New This Month", "New this month",
                  "Churned this month", "text", "churned"),
        scorecard("isp-blocked", step, row2, "Blocked Today", "Blocked today", tint="#FEF2F2"),
        scorecard("isp-reactivated", 2 * step, row2, "Reactivated Today",
                  "Reactivated today"),
        scorecard("isp-cards", 3 * step, row2, "Refill Cards Sold", "Refill cards sold",
                  "Refill cards redeemed", "text", "redeemed"),
        scorecard("isp-run", 4 * step, row2, "Last Billing Run", "Last run charged",
                  "Last run errors", "text", "errors", "#F5F5F5"),
        scorecard("isp-paused", 5 * step, row2, "Paused", "Paused"),
        odoo_chart("isp-chart-mrr", 0, charts, 560, "MRR by Month", "line",
                   "isp.report.subscription", "mrr", ["month:month"]),
        odoo_chart("isp-chart-subscribers", 570, charts, 560, "In Service by Month", "line",
                   "isp.report.subscription", "subscriber_count", ["month:month"]),
        odoo_chart("isp-chart-new", 0, charts + 310, 560, "New Subscriptions by Month", "bar",
                   "isp.report.subscription", "new_count", ["month:month"]),
        odoo_chart("isp-chart-churn", 570, charts + 310, 560, "Churned by Month", "bar",
                   "isp.report.subscription", "churned_count", ["month:month"]),
        odoo_chart("isp-chart-age", 0, charts + 620, 560, "Receivable by Age", "bar",
                   "isp.report.receivable", "amount_residual", ["age"]),
        odoo_chart("isp-chart-status", 570, charts + 620, 560, "Subscribers by Status", "pie",
                   "isp.report.subscriber", "subscriber_count", ["status"]),
        odoo_chart("isp-chart-collected", 0, charts + 930, 1130, "Collected by Month", "bar",
                   "isp.report.money", "collected", ["date:month"]),
    ]


def pivots():
    result = {}
    for pivot_id, (name, model, domain, measures, rows, columns) in PIVOTS.items():
        result[str(pivot_id)] = {
            "type": "ODOO",
            "id": str(pivot_id),
            "formulaId": str(pivot_id),
            "name": name,
            "model": model,
            "domain": domain,
            "context": {},
            "measures": [{"id": m, "fieldName": m} for m in measures],
            "rows": [{"fieldName": f} for f in rows],
            "columns": [{"fieldName": f} for f in columns],
            "sortedColumn": None,
            "fieldMatching": {COMPANY_FILTER: {"chain": "company_id", "type": "many2one"}},
        }
    return result


def cockpit_sheet():
    # Below the figures: the two tables staff read most.
    top = 57
    cells = {
        f"A{top}": {"content": '=_t("Subscribers by plan and status")'},
        f"A{top + 1}": {"content": "=PIVOT(12)"},
        f"E{top}": {"content": '=_t("Receivable by age")'},
        f"E{top + 1}": {"content": "=PIVOT(11)"},
    }
    return {
        "id": "isp-cockpit",
        "name": "Cockpit",
        "colNumber": 8,
        "rowNumber": 90,
        "cols": {str(i): {"size": 150} for i in range(8)},
        "rows": {},
        "merges": [],
        "cells": cells,
        "styles": {f"A{top}": 2, f"E{top}": 2},
        "formats": {},
        "borders": {},
        "figures": figures(),
        "conditionalFormats": [],
        "tables": [],
        "areGridLinesVisible": False,
        "isVisible": True,
        "headerGroups": {"ROW": [], "COL": []},
        "dataValidationRules": [],
        "comments": {},
    }


def data_sheet():
    cells, formats = {}, {}
    for row, (label, formula, number_format) in enumerate(DATA, start=1):
        cells[f"A{row}"] = {"content": f'=_t("{label}")'}
        cells[f"B{row}"] = {"content": formula}
        if number_format:
            formats[f"B{row}"] = 1 if number_format == MONEY else 2
    return {
        "id": "isp-cockpit-data",
        "name": "Data",
        "colNumber": 3,
        "rowNumber": len(DATA) + 5,
        "cols": {"0": {"size": 220}, "1": {"size": 150}},
        "rows": {},
        "merges": [],
        "cells": cells,
        "styles": {},
        "formats": formats,
        "borders": {},
        "figures": [],
        "conditionalFormats": [],
        "tables": [],
        "areGridLinesVisible": True,
        "isVisible": False,
        "headerGroups": {"ROW": [], "COL": []},
        "dataValidationRules": [],
        "comments": {},
    }


def dashboard():
    return {
        "version": 21,
        "sheets": [cockpit_sheet(), data_sheet()],
        "styles": {
            "1": {"textColor": "#01666b", "bold": True, "fontSize": 16},
            "2": {"textColor": "#434343", "bold": True, "fontSize": 11},
        },
        "formats": {"1": MONEY, "2": PERCENT},
        "borders": {},
        "revisionId": "START_REVISION",
        "uniqueFigureIds": True,
        "settings": {
            "locale": {
                "name": "English (US)", "code": "en_US", "thousandsSeparator": ",",
                "decimalSeparator": ".", "dateFormat": "mm/dd/yyyy",
                "timeFormat": "hh:mm:ss", "formulaArgSeparator": ",", "weekStart": 7,
            }
        },
        "pivots": pivots(),
        "pivotNextId": len(PIVOTS) + 1,
        "customTableStyles": {},
        "odooVersion": 12,
        "globalFilters": [
            {
                "id": COMPANY_FILTER, "type": "relation", "label": "Company",
                "modelName": "res.company", "defaultValue": [],
                "defaultValueDisplayNames": [], "rangeType": "year",
            }
        ],
        "lists": {
            "1": {
                "id": "1",
                "name": "Last billing run",
                "model": "isp.billing.run",
                "columns": ["date", "name", "charge_count", "amount_total", "error_count"],
                "domain": [["state", "=", "done"]],
                "context": {},
                "orderBy": [{"name": "date", "asc": False}, {"name": "id", "asc": False}],
                "fieldMatching": {COMPANY_FILTER: {"chain": "company_id", "type": "many2one"}},
            }
        },
        "listNextId": 2,
        "chartOdooMenusReferences": {},
    }


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(dashboard(), indent=1) + "\n")
    print(f"wrote {OUT}")
