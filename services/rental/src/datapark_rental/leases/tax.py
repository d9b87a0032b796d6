"""VAT (增值税) on lease receivables and the invoice (发票) each payment yields.

Reading (``domain/leasing.md``): rents are stated VAT-inclusive (含税租金), as Chinese lease
contracts state them, so the schedule's amounts are what the lessee pays and the tax is carved
out of the taxable part: ``tax = round(taxable × rate / (1 + rate))`` half-up to the fen,
``net = taxable − tax``. What is taxable depends on the lease's VAT basis:

- ``whole_rent`` (direct financing lease, long-term rental, service lease — 有形动产租赁, 13 %
  since 2019-04-01): principal, interest and penalties (penalties are 价外费用), the down
  payment and fees; the refundable deposit is not a sale.
- ``interest_only`` (融资性售后回租, a loan service at 6 %): interest, penalties, fees,
  termination fees and the buyout price; the principal returned is not taxed.

The rate is the one in force on the receivable's due date (the tax point of a lease is the
contractual due date, or receipt when earlier; allocation only pays what is due).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from datapark_contracts.money import to_fen
from datapark_rental.leases.parameters import VatBasis
from datapark_rental.terms.money import ZERO

TAXED_COMPONENTS: dict[VatBasis, frozenset[str]] = {
    VatBasis.WHOLE_RENT: frozenset(
        {
            "principal",
            "interest",
            "penalty",
            "down_payment",
            "fees",
            "accrued_interest",
            "interest_due",
            "outstanding_principal",
            "penalties",
            "termination_fee",
            "buyout_price",
        }
    ),
    VatBasis.INTEREST_ONLY: frozenset(
        {
            "interest",
            "penalty",
            "fees",
            "accrued_interest",
            "interest_due",
            "penalties",
            "termination_fee",
            "buyout_price",
        }
    ),
}
"""Which components of a receivable or settlement are sales subject to VAT, by basis."""


@dataclass(frozen=True)
class Vat:
    """A VAT-inclusive taxable amount split at ``rate``; ``untaxed`` is outside VAT."""

    rate: Decimal
    net: Decimal
    tax: Decimal
    untaxed: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """价税合计: net + tax."""
        return self.net + self.tax


def split(taxable: Decimal, rate: Decimal, untaxed: Decimal = ZERO) -> Vat:
    """Carve the tax out of a VAT-inclusive ``taxable`` amount."""
    tax = to_fen(taxable * rate / (1 + rate))
    return Vat(rate=rate, net=taxable - tax, tax=tax, untaxed=untaxed)


def taxed(basis: VatBasis, component: str) -> bool:
    return component in TAXED_COMPONENTS[basis]


def vat_of(basis: VatBasis, rate: Decimal, components: Iterable[tuple[str, Decimal]]) -> Vat:
    """VAT of named amounts (``("principal", 22879.74)``, ``("interest", 4500.00)``, …)."""
    taxable = untaxed = ZERO
    for component, amount in components:
        if taxed(basis, component):
            taxable += amount
        else:
            untaxed += amount
    return split(taxable, rate, untaxed)


def receivable_vat(
    basis: VatBasis, rate: Decimal, principal: Decimal, interest: Decimal, penalty: Decimal
) -> Vat:
    """The VAT a receivable carries (installment, balloon or usage invoice)."""
    return vat_of(
        basis, rate, (("principal", principal), ("interest", interest), ("penalty", penalty))
    )


@dataclass(frozen=True)
class Charge:
    """One amount a payment settled, with the VAT rate in force at its tax point."""

    item: str
    amount: Decimal
    rate: Decimal
    period: int | None = None
    kind: str | None = None


@dataclass(frozen=True)
class InvoiceDraft:
    """What one invoice will say: the VAT of its charges, all at one rate."""

    vat: Vat
    charges: tuple[Charge, ...]


def invoice_drafts(basis: VatBasis, charges: Iterable[Charge]) -> list[InvoiceDraft]:
    """One invoice per VAT rate among ``charges`` (normally one); nothing for no money."""
    by_rate: dict[Decimal, list[Charge]] = {}
    for charge in charges:
        if charge.amount != 0:
            by_rate.setdefault(charge.rate, []).append(charge)
    return [
        InvoiceDraft(vat_of(basis, rate, ((c.item, c.amount) for c in group)), tuple(group))
        for rate, group in sorted(by_rate.items())
    ]


def upfront_charges(
    rate: Decimal,
    *,
    down_payment: Decimal,
    fees: Decimal,
    deposit: Decimal,
    paid_before: Decimal,
    taken: Decimal,
) -> list[Charge]:
    """What ``taken`` settles of the upfront amount, in order: down payment, fees, deposit
    (the deposit is held, not sold: never taxed)."""
    charges: list[Charge] = []
    start, end = paid_before, paid_before + taken
    position = ZERO
    for item, amount in (("down_payment", down_payment), ("fees", fees), ("deposit", deposit)):
        low, high = max(start, position), min(end, position + amount)
        if high > low:
            charges.append(Charge(item, high - low, rate))
        position += amount
    return charges
