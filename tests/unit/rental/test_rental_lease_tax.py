"""VAT on lease receivables and the invoices payments yield (#11, leasing.md): 13 % on the
whole rent of a lease of movable goods, 6 % on the interest only of a sale-and-leaseback,
rates as dated parameters; rents are VAT-inclusive, so the tax is carved out:
``tax = round(taxable × rate / (1 + rate))``, ``net = taxable − tax``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from datapark_kit.errors import Unprocessable
from datapark_rental.leases.invoicing import invoice_number
from datapark_rental.leases.parameters import VatBasis, vat_rate
from datapark_rental.leases.tax import (
    Charge,
    invoice_drafts,
    receivable_vat,
    split,
    upfront_charges,
)

D = Decimal
WHOLE, INTEREST = VatBasis.WHOLE_RENT, VatBasis.INTEREST_ONLY


def test_rates_are_dated_parameters() -> None:
    assert vat_rate(WHOLE, date(2013, 8, 1)) == D("0.17")
    assert vat_rate(WHOLE, date(2018, 4, 30)) == D("0.17")
    assert vat_rate(WHOLE, date(2018, 5, 1)) == D("0.16")
    assert vat_rate(WHOLE, date(2019, 3, 31)) == D("0.16")
    assert vat_rate(WHOLE, date(2019, 4, 1)) == D("0.13")
    assert vat_rate(INTEREST, date(2026, 11, 30)) == D("0.06")
    with pytest.raises(Unprocessable) as caught:
        vat_rate(INTEREST, date(2016, 4, 30), field="delivery_accepted_on")
    assert caught.value.extra["errors"][0]["field"] == "delivery_accepted_on"


def test_a_direct_lease_installment_carries_13_percent_of_the_whole_rent() -> None:
    # Vector 1's first installment: 27,379.74 = 22,879.74 principal + 4,500.00 interest.
    # 27,379.74 × 0.13 / 1.13 = 3,149.8815… → 3,149.88; net 27,379.74 − 3,149.88 = 24,229.86.
    vat = receivable_vat(WHOLE, D("0.13"), D("22879.74"), D("4500.00"), D("0.00"))

    assert (vat.net, vat.tax, vat.untaxed) == (D("24229.86"), D("3149.88"), D("0.00"))
    assert vat.total == D("27379.74")


def test_a_sale_and_leaseback_taxes_the_interest_only_at_6_percent() -> None:
    # 4,500.00 × 0.06 / 1.06 = 254.7169… → 254.72; net 4,245.28; principal untaxed.
    vat = receivable_vat(INTEREST, D("0.06"), D("22879.74"), D("4500.00"), D("0.00"))

    assert (vat.net, vat.tax, vat.untaxed) == (D("4245.28"), D("254.72"), D("22879.74"))
    assert vat.total == D("4500.00")


def test_penalties_are_taxed_with_the_rent_in_both_bases() -> None:
    # 价外费用: 113.00 penalty at 13 % is 13.00 tax; 106.00 at 6 % is 6.00.
    assert receivable_vat(WHOLE, D("0.13"), D("0"), D("0"), D("113.00")).tax == D("13.00")
    assert receivable_vat(INTEREST, D("0.06"), D("0"), D("0"), D("106.00")).tax == D("6.00")


def test_half_a_fen_rounds_up() -> None:
    # 0.09 × 0.13 / 1.13 = 0.010353… → 0.01; 0.04 × 0.13 / 1.13 = 0.0046… → 0.00
    assert split(D("0.09"), D("0.13")).tax == D("0.01")
    assert split(D("0.04"), D("0.13")).tax == D("0.00")


def test_the_upfront_payment_is_split_down_payment_then_fees_then_deposit() -> None:
    terms = {"down_payment": D("100000.00"), "fees": D("2000.00"), "deposit": D("50000.00")}

    first = upfront_charges(D("0.13"), **terms, paid_before=D("0"), taken=D("101000.00"))
    second = upfront_charges(D("0.13"), **terms, paid_before=D("101000.00"), taken=D("51000.00"))

    assert [(c.item, c.amount) for c in first] == [
        ("down_payment", D("100000.00")),
        ("fees", D("1000.00")),
    ]
    assert [(c.item, c.amount) for c in second] == [
        ("fees", D("1000.00")),
        ("deposit", D("50000.00")),
    ]


def test_the_invoice_of_an_upfront_payment_by_basis() -> None:
    charges = [
        Charge("down_payment", D("100000.00"), D("0.13")),
        Charge("fees", D("1000.00"), D("0.13")),
    ]
    # Direct: 101,000 × 0.13 / 1.13 = 11,619.469… → 11,619.47; net 89,380.53.
    (direct,) = invoice_drafts(WHOLE, charges)
    assert (direct.vat.net, direct.vat.tax, direct.vat.total) == (
        D("89380.53"),
        D("11619.47"),
        D("101000.00"),
    )
    # Sale-and-leaseback: the down payment returns principal; fees 1,000 × 0.06 / 1.06 = 56.60.
    six = [Charge(c.item, c.amount, D("0.06")) for c in charges]
    (leaseback,) = invoice_drafts(INTEREST, six)
    assert (leaseback.vat.net, leaseback.vat.tax, leaseback.vat.untaxed) == (
        D("943.40"),
        D("56.60"),
        D("100000.00"),
    )


def test_a_deposit_alone_is_not_a_sale() -> None:
    (draft,) = invoice_drafts(WHOLE, [Charge("deposit", D("5000.00"), D("0.13"))])

    assert (draft.vat.total, draft.vat.untaxed) == (D("0.00"), D("5000.00"))


def test_one_invoice_per_rate() -> None:
    # A payment in April 2019 settling March's installment (16 %) and April's (13 %).
    drafts = invoice_drafts(
        WHOLE,
        [
            Charge("interest", D("116.00"), D("0.16"), period=1, kind="installment"),
            Charge("interest", D("113.00"), D("0.13"), period=2, kind="installment"),
            Charge("principal", D("0.00"), D("0.13"), period=2, kind="installment"),
        ],
    )

    assert [(d.vat.rate, d.vat.tax, len(d.charges)) for d in drafts] == [
        (D("0.13"), D("13.00"), 1),
        (D("0.16"), D("16.00"), 1),
    ]


def test_invoice_numbers() -> None:
    assert invoice_number(date(2026, 11, 30), 42) == "RL2026000000000042"
    assert len(invoice_number(date(2026, 1, 1), 10**12 - 1)) == 18
