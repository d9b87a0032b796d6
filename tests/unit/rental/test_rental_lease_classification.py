"""The lessor's classification (#11, IFRS 16 / ASC 842 as leasing.md reads them): ownership
transfer → finance; pay per use → operating; otherwise finance when the present value of the
payments is at least 90 % of the fair value (compared unrounded); a sale-and-leaseback is a
financial asset for the lessor (a failed sale)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from datapark_rental.leases.classification import LeaseClass, classify
from datapark_rental.leases.schedule import LeaseTerms, build_schedule
from datapark_rental.leases.states import LeaseMode

D = Decimal
# Vector 1: 100,000 down + installments worth 900,000.0119 at 6 % = 1,000,000.0119 in PV.
VECTOR_1 = build_schedule(
    LeaseTerms(
        equipment_cost=D("1000000"),
        down_payment_rate=D("0.10"),
        term_months=36,
        annual_rate=D("0.06"),
        start_date=date(2024, 1, 15),
    )
)


def test_a_financing_lease_transfers_ownership() -> None:
    result = classify(LeaseMode.FINANCING, VECTOR_1, D("1200000"), sale_and_leaseback=False)

    assert result.kind is LeaseClass.FINANCE
    record = result.as_record()
    assert record["ownership_transfers"] is True
    assert record["present_value_of_payments"] == "1000000.01"
    assert record["present_value_ratio"] == "0.8333"  # 1,000,000.01 / 1,200,000
    assert record["present_value_substantially_all"] is False


def test_a_long_term_rental_is_operating_unless_it_pays_for_substantially_all() -> None:
    below = classify(LeaseMode.LONG_TERM, VECTOR_1, D("1200000"), sale_and_leaseback=False)
    above = classify(LeaseMode.LONG_TERM, VECTOR_1, D("1100000"), sale_and_leaseback=False)

    assert below.kind is LeaseClass.OPERATING
    assert above.kind is LeaseClass.FINANCE  # 1,000,000.01 / 1,100,000 = 0.9091


def test_the_ninety_percent_line_is_compared_unrounded() -> None:
    # 0.90 × 1,111,111.13 = 1,000,000.017 > 1,000,000.0119: below the line, though the
    # ratio shows as 0.9000; at 1,111,111.12 the line is 1,000,000.008: at or above it.
    just_below = classify(LeaseMode.LONG_TERM, VECTOR_1, D("1111111.13"), sale_and_leaseback=False)
    just_above = classify(LeaseMode.LONG_TERM, VECTOR_1, D("1111111.12"), sale_and_leaseback=False)

    assert just_below.as_record()["present_value_ratio"] == "0.9000"
    assert just_below.kind is LeaseClass.OPERATING
    assert just_above.kind is LeaseClass.FINANCE


def test_a_service_lease_paid_per_use_is_operating() -> None:
    result = classify(LeaseMode.SERVICE, VECTOR_1, D("1000000"), sale_and_leaseback=False)

    assert result.kind is LeaseClass.OPERATING
    assert result.as_record()["variable_payments"] is True


def test_a_sale_and_leaseback_is_a_financial_asset_of_the_lessor() -> None:
    result = classify(LeaseMode.FINANCING, VECTOR_1, D("1200000"), sale_and_leaseback=True)

    assert result.kind is LeaseClass.FINANCE
    assert result.as_record()["sale_and_leaseback"] is True
    assert result.as_record()["lessor_asset"] == "financial_asset"
