"""Money on rental's wire (docs/CONVENTIONS.md "The HTTP language"): requests take a Money
object with a decimal string, responses give one for every amount (signed where the figure
is), and a receivables cursor is read back or refused as a 422 naming it."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from datapark_kit.errors import Unprocessable
from datapark_rental.leases.schemas import LeaseTermsIn, PaymentIn, ScheduleItemOut
from datapark_rental.leases.service import receivable_position
from datapark_rental.terms.schemas import MoneyOut, SignedMoneyOut

TERMS = {
    "mode": "financing",
    "equipment_cost": {"amount": "600000.00", "currency": "CNY"},
    "down_payment_rate": "0.20",
    "term_months": 6,
    "annual_rate": "0.058",
    "start_date": "2027-01-15",
}


def test_a_response_amount_is_an_object_with_two_places_and_may_be_negative() -> None:
    row = ScheduleItemOut(
        period=3,
        due_date=date(2027, 4, 15),
        payment=Decimal("3350.6"),
        interest=Decimal("4500"),
        principal=Decimal("-1149.40"),
        balance="901149.40",
    )

    wire = row.model_dump(mode="json")

    assert wire["payment"] == {"amount": "3350.60", "currency": "CNY"}
    assert wire["interest"] == {"amount": "4500.00", "currency": "CNY"}
    assert wire["principal"] == {"amount": "-1149.40", "currency": "CNY"}
    assert wire["balance"] == {"amount": "901149.40", "currency": "CNY"}
    signed = TypeAdapter(SignedMoneyOut)
    assert signed.validate_python(Decimal("0.005")).amount == Decimal("0.01")  # half-up guard
    with pytest.raises(ValidationError):  # a figure that must not be negative is never shown so
        TypeAdapter(MoneyOut).validate_python(Decimal("-1.00"))


def test_request_amounts_default_to_zero_and_read_as_decimals() -> None:
    terms = LeaseTermsIn.model_validate(TERMS)

    assert terms.equipment_cost.amount == Decimal("600000.00")
    assert (terms.fees.amount, terms.deposit.amount, terms.balloon.amount) == (Decimal("0"),) * 3
    assert terms.fees.currency == "CNY"


@pytest.mark.parametrize(
    ("amount", "where"),
    [
        (600000, ("equipment_cost",)),  # a bare number is not a Money object
        ("600000.00", ("equipment_cost",)),  # nor is a bare string
        ({"amount": 600000, "currency": "CNY"}, ("equipment_cost", "amount")),
        ({"amount": "600000.001", "currency": "CNY"}, ("equipment_cost", "amount")),
        ({"amount": "-1.00", "currency": "CNY"}, ("equipment_cost", "amount")),
        ({"amount": "1.00", "currency": "USD"}, ("equipment_cost", "currency")),
        ({"amount": "1.00", "currency": "CNY", "rate": "1"}, ("equipment_cost", "rate")),
    ],
)
def test_a_request_amount_that_is_not_a_money_object_is_refused_at_its_field(
    amount: object, where: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as refused:
        LeaseTermsIn.model_validate(TERMS | {"equipment_cost": amount})

    assert refused.value.errors()[0]["loc"] == where


def test_a_payment_carries_its_currency_inside_its_amount() -> None:
    paid = PaymentIn.model_validate({"amount": {"amount": "81358.77", "currency": "CNY"}})

    assert (paid.amount.amount, paid.amount.currency) == (Decimal("81358.77"), "CNY")
    with pytest.raises(ValidationError):
        PaymentIn.model_validate({"amount": {"amount": "1.00"}, "currency": "CNY"})


def _cursor(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def test_a_receivables_cursor_reads_back_its_position() -> None:
    assert receivable_position(None) is None
    assert receivable_position(_cursor("2027-02-15|1|installment")) == (
        date(2027, 2, 15),
        1,
        "installment",
    )


@pytest.mark.parametrize(
    "position",
    [
        "2027-02-15|1",  # a part missing
        "2027-02-30|1|installment",  # no such day
        "2027-02-15|one|installment",
        "2027-02-15|99999999999|installment",  # beyond the integer column: a 422, not a 500
        "2027-02-15|-1|installment",
    ],
)
def test_a_receivables_cursor_this_api_did_not_issue_is_a_422(position: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        receivable_position(_cursor(position))

    assert refused.value.extra["errors"][0]["field"] == "cursor"
