"""Examples of the lease bodies, shown in the OpenAPI document (each validated against its
schema by the test suite).

One story throughout: a direct financing lease of a 600,000.00 CNY industrial arm, 20 % down,
5.8 % fixed over six months from 2027-01-15, 3,000.00 fees, a 30,000.00 deposit and a 100.00
buyout price. The schedule and totals are what ``POST /v1/lease-quotes`` computes for those
terms; the settlement is an early buyout on 2027-04-20, after three installments.
"""

from __future__ import annotations

from typing import Any

from pydantic.config import JsonDict

LEASE = "0193b0c4-8d2e-7a41-9c3b-2f4e6a8b0c1d"
LESSEE = "0193a4b1-1f2e-7d3c-9b4a-5e6f7a8b9c0d"
LESSOR = "0193a4b1-2a3b-7c4d-8e5f-6a7b8c9d0e1f"
GUARANTOR = "0193a4b1-3b4c-7d5e-8f60-7a8b9c0d1e2f"
OFFERING = "0193a4b2-6d7e-7f80-8a1b-2c3d4e5f6a7b"
PAYMENT = "0193b8e2-4f10-7b2c-9d3e-5a6b7c8d9e0f"
INVOICE = "0193b8e2-4f11-7c3d-8e4f-6b7c8d9e0f1a"
ASSET = "0193b0c4-8d2f-7b52-8d4c-3a5f7b9c1d2e"


def cny(amount: str) -> JsonDict:
    return {"amount": amount, "currency": "CNY"}


TERMS: dict[str, Any] = {
    "mode": "financing",
    "structure": "direct",
    "equipment_cost": cny("600000.00"),
    "down_payment_rate": "0.20",
    "term_months": 6,
    "rate_type": "fixed",
    "annual_rate": "0.058",
    "amortization": "annuity",
    "start_date": "2027-01-15",
    "fees": cny("3000.00"),
    "deposit": cny("30000.00"),
    "buyout_price": cny("100.00"),
}

APPLICATION: dict[str, Any] = {
    **TERMS,
    "offering_id": OFFERING,
    "monthly_net_operating_cash_flow": cny("180000.00"),
    "existing_monthly_debt_service": cny("12000.00"),
}

LEASEBACK_ASSET: dict[str, Any] = {
    "category": "industrial_arm",
    "serial_number": "KR210-R2700-2024-00417",
    "description": "six-axis arm, welding cell 3",
    "appraised_value": cny("650000.00"),
}

LEASEBACK_APPLICATION: dict[str, Any] = {
    **TERMS,
    "structure": "sale_and_leaseback",
    "lessor_participant_id": LESSOR,
    "asset": LEASEBACK_ASSET,
    "monthly_net_operating_cash_flow": cny("180000.00"),
}

MITIGATION: dict[str, Any] = {
    "vendor_buy_back": False,
    "residual_guarantee": True,
    "residual_guarantor_participant_id": GUARANTOR,
    "extra_deposit": cny("20000.00"),
}

# period, due date, payment, interest, principal, balance (the quote of TERMS)
_ROWS = (
    (1, "2027-02-15", "81358.77", "2320.00", "79038.77", "400961.23"),
    (2, "2027-03-15", "81358.77", "1937.98", "79420.79", "321540.44"),
    (3, "2027-04-15", "81358.77", "1554.11", "79804.66", "241735.78"),
    (4, "2027-05-15", "81358.77", "1168.39", "80190.38", "161545.40"),
    (5, "2027-06-15", "81358.77", "780.80", "80577.97", "80967.43"),
    (6, "2027-07-15", "81358.77", "391.34", "80967.43", "0.00"),
)
INSTALLMENTS: list[dict[str, Any]] = [
    {
        "period": period,
        "due_date": due,
        "payment": cny(payment),
        "interest": cny(interest),
        "principal": cny(principal),
        "balance": cny(balance),
    }
    for period, due, payment, interest, principal, balance in _ROWS
]
VAT = {"vat_rate": "0.13", "vat_net": cny("71998.91"), "vat_tax": cny("9359.86")}

QUOTE: dict[str, Any] = {
    "mode": "financing",
    "structure": "direct",
    "rate_type": "fixed",
    "annual_rate": "0.058",
    "vat_basis": "whole_rent",
    "equipment_cost": cny("600000.00"),
    "down_payment": cny("120000.00"),
    "financed_principal": cny("480000.00"),
    "periodic_rate": "0.004833333333",
    "items": [{**row, **VAT} for row in INSTALLMENTS],
    "totals": {
        "interest": cny("8152.62"),
        "principal": cny("480000.00"),
        "installments": cny("488152.62"),
        "balloon": cny("0.00"),
        "down_payment": cny("120000.00"),
        "fees": cny("3000.00"),
        "buyout_price": cny("100.00"),
        "payable": cny("611252.62"),
    },
    "yield": {
        "apr": "0.090012",
        "effective_annual_rate": "0.093820",
        "monthly_irr": "0.007501024976",
    },
    "present_value": cny("479999.99"),
}

_DSCR_INPUTS: dict[str, Any] = {
    "weakest_period": 1,
    "cash_flow": "180000.00",
    "debt_service": "93358.77",
    "existing_monthly_debt_service": "12000.00",
    "cash_flow_source": "declared_monthly",
}
RISK_CHECKS: list[dict[str, Any]] = [
    {
        "check": "dscr",
        "outcome": "passed",
        "threshold": "1.25",
        "comparison": ">=",
        "value": "1.9280",
        "inputs": _DSCR_INPUTS,
    },
    {
        "check": "ltv",
        "outcome": "passed",
        "threshold": "0.80",
        "comparison": "<=",
        "value": "0.8000",
        "inputs": {
            "financed_principal": "480000.00",
            "appraised_value": "600000.00",
            "vendor_buy_back": False,
            "residual_guarantee": False,
            "extra_deposit": "0.00",
            "ceiling": "1.00",
        },
    },
    {
        "check": "lessee_concentration",
        "outcome": "passed",
        "threshold": "0.30",
        "comparison": "<=",
        "value": "0.0019",
        "inputs": {
            "existing_exposure": "0.00",
            "financed_principal": "480000.00",
            "exposure": "480000.00",
            "lessor_net_assets": "250000000.00",
        },
    },
]
# The same application declaring 60,000.00 a month: 60,000 / 93,358.77 = 0.6426 < 1.25.
REFUSED_DSCR: dict[str, Any] = {
    "check": "dscr",
    "outcome": "failed",
    "threshold": "1.25",
    "comparison": ">=",
    "value": "0.6426",
    "inputs": _DSCR_INPUTS | {"cash_flow": "60000.00"},
    "shortfall": {"ratio": "0.6074", "monthly_cash_flow": cny("56698.47")},
}

LEASE_OUT: dict[str, Any] = {
    "id": LEASE,
    "lessee_participant_id": LESSEE,
    "lessor_participant_id": LESSOR,
    "offering_id": OFFERING,
    "mode": "financing",
    "structure": "direct",
    "appraised_value": cny("600000.00"),
    "rate_type": "fixed",
    "classification": "finance",
    "classification_criteria": {
        "standard": "IFRS 16 / ASC 842",
        "ownership_transfers": True,
        "variable_payments": False,
        "present_value_of_payments": "600099.99",
        "fair_value": "600000.00",
        "present_value_ratio": "1.0002",
        "substantially_all_threshold": "0.90",
        "present_value_substantially_all": True,
        "sale_and_leaseback": False,
    },
    "vat_basis": "whole_rent",
    "signed_on": "2027-01-08",
    "state": "active",
    "equipment_cost": cny("600000.00"),
    "down_payment": cny("120000.00"),
    "financed_principal": cny("480000.00"),
    "annual_rate": "0.058",
    "apr": "0.090012",
    "term_months": 6,
    "amortization": "annuity",
    "start_date": "2027-01-15",
    "schedule": INSTALLMENTS,
    "risk_checks": RISK_CHECKS,
    "refusal": [],
    "upfront_due": cny("153000.00"),
    "down_payment_paid": cny("153000.00"),
    "credit": cny("0.00"),
    "activated_on": "2027-01-15",
    "days_past_due": 0,
    "delinquency_bucket": "0",
    "created_at": "2027-01-06T02:14:09Z",
    "updated_at": "2027-02-15T01:00:03Z",
}

PAYMENT_IN: dict[str, Any] = {"amount": cny("81358.77"), "paid_on": "2027-02-15"}

PAYMENT_OUT: dict[str, Any] = {
    "id": PAYMENT,
    "lease_id": LEASE,
    "purpose": "installments",
    "amount": cny("81358.77"),
    "paid_on": "2027-02-15",
    "allocations": [
        {"period": 1, "kind": "installment", "component": "interest", "amount": cny("2320.00")},
        {"period": 1, "kind": "installment", "component": "principal", "amount": cny("79038.77")},
    ],
    "credit_after": cny("0.00"),
    "lease_state": "active",
}

SETTLEMENT: dict[str, Any] = {
    "on": "2027-04-20",
    "outstanding_principal": cny("241735.78"),
    "interest_due": cny("0.00"),
    "accrued_interest": cny("194.73"),
    "penalties": cny("0.00"),
    "termination_fee": cny("4834.72"),
    "deposit_offset": cny("30000.00"),
    "credit": cny("0.00"),
    "buyout_price": cny("100.00"),
    "total": cny("216865.23"),
}

BUYOUT_IN: dict[str, Any] = {"amount": cny("216865.23"), "on": "2027-04-20"}

RECEIVABLE: dict[str, Any] = {
    "period": 1,
    "kind": "installment",
    "due_date": "2027-02-15",
    "principal": cny("79038.77"),
    "interest": cny("2320.00"),
    "penalty": cny("0.00"),
    "principal_paid": cny("79038.77"),
    "interest_paid": cny("2320.00"),
    "penalty_paid": cny("0.00"),
    "vat_rate": "0.13",
    "vat_net": cny("71998.91"),
    "vat_tax": cny("9359.86"),
    "vat_untaxed": cny("0.00"),
}

INVOICE_OUT: dict[str, Any] = {
    "id": INVOICE,
    "number": "RL2027000000000412",
    "lease_id": LEASE,
    "payment_id": PAYMENT,
    "lessor_participant_id": LESSOR,
    "lessee_participant_id": LESSEE,
    "buyer_uscc": "91110105MA01R2XK3Q",
    "issued_on": "2027-02-15",
    "vat_basis": "whole_rent",
    "rate": "0.13",
    "net": cny("71998.91"),
    "tax": cny("9359.86"),
    "total": cny("81358.77"),
    "untaxed": cny("0.00"),
    "lines": [
        {
            "item": "interest",
            "period": 1,
            "kind": "installment",
            "amount": cny("2320.00"),
            "taxed": True,
        },
        {
            "item": "principal",
            "period": 1,
            "kind": "installment",
            "amount": cny("79038.77"),
            "taxed": True,
        },
    ],
}

USAGE_INVOICE: dict[str, Any] = {
    "lease_id": LEASE,
    "month": "2027-02",
    "usage": "42.0000",
    "unit_price": cny("1800.00"),
    "usage_amount": cny("75600.00"),
    "monthly_minimum": cny("60000.00"),
    "amount": cny("75600.00"),
    "due_date": "2027-03-15",
}

LEASE_REFUSED: dict[str, Any] = {
    key: value
    for key, value in LEASE_OUT.items()
    if key not in ("signed_on", "activated_on", "risk_checks", "refusal")
} | {
    "state": "rejected",
    "risk_checks": [REFUSED_DSCR, *RISK_CHECKS[1:]],
    "refusal": [REFUSED_DSCR],
    "upfront_due": cny("0.00"),
    "down_payment_paid": cny("0.00"),
    "updated_at": "2027-01-06T02:14:09Z",
}
