"""From stored leases to domain terms and to the facts published about them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from datapark_contracts.events import rental as events
from datapark_rental.leases.models import Lease
from datapark_rental.leases.risk import Check
from datapark_rental.leases.schedule import (
    Amortization,
    Installment,
    LeaseTerms,
    Schedule,
    fee_shares,
)
from datapark_rental.leases.states import LeaseMode

CONTRACT_MODE: dict[LeaseMode, str] = {
    LeaseMode.FINANCING: "financing_lease",
    LeaseMode.LONG_TERM: "long_term",
    LeaseMode.SERVICE: "service_lease",
}
"""The lease mode in the shared vocabulary of catalog's offerings and rental's events."""


def terms_of(lease: Lease, start_date: date | None = None) -> LeaseTerms:
    profile = lease.cash_flow_profile
    return LeaseTerms(
        equipment_cost=lease.equipment_cost,
        down_payment_rate=lease.down_payment_rate,
        term_months=lease.term_months,
        annual_rate=lease.annual_rate,
        start_date=start_date or lease.start_date,
        amortization=Amortization(lease.amortization),
        balloon=lease.balloon,
        cash_flow_profile=tuple(Decimal(x) for x in profile) if profile else None,
        fees=lease.fees,
        deposit=lease.deposit,
        buyout_price=lease.buyout_price,
    )


def schedule_rows(schedule: Schedule) -> list[dict[str, Any]]:
    return installment_rows(schedule.installments)


def installment_rows(items: Sequence[Installment]) -> list[dict[str, Any]]:
    return [
        {
            "period": row.period,
            "due_date": row.due_date.isoformat(),
            "payment": f"{row.payment:.2f}",
            "interest": f"{row.interest:.2f}",
            "principal": f"{row.principal:.2f}",
            "balance": f"{row.balance:.2f}",
        }
        for row in items
    ]


def check_record(check: Check) -> dict[str, Any]:
    return check.as_record()


def asset_id(lease: Lease) -> uuid.UUID:
    """The catalog offering, or for a sale-and-leaseback the id rental gave the robot bought."""
    if lease.offering_id is not None:
        return lease.offering_id
    assert lease.asset is not None
    return uuid.UUID(lease.asset["id"])


def scheduled_payments(lease: Lease) -> tuple[events.ScheduledPayment, ...]:
    """The stored schedule with each installment's share of the upfront fees."""
    shares = fee_shares(lease.fees, len(lease.schedule))
    return tuple(
        events.ScheduledPayment.model_validate(row | {"fees": f"{share:.2f}"})
        for row, share in zip(lease.schedule, shares, strict=True)
    )


def snapshot(lease: Lease, event: type[events.LeaseSnapshot], **extra: Any) -> events.LeaseSnapshot:
    return event(
        lease_id=lease.id,
        lessee_participant_id=lease.lessee_participant_id,
        lessor_participant_id=lease.lessor_participant_id,
        offering_id=asset_id(lease),
        kit_id=lease.kit_id,
        unit_ids=tuple(lease.unit_ids),
        mode=CONTRACT_MODE[LeaseMode(lease.mode)],
        equipment_category=lease.category,
        equipment_cost=lease.equipment_cost,
        down_payment=lease.down_payment,
        financed_principal=lease.financed_principal,
        balloon=lease.balloon,
        buyout_price=lease.buyout_price,
        deposit=lease.deposit,
        fees=lease.fees,
        annual_rate=lease.annual_rate,
        apr=lease.apr,
        term_months=lease.term_months,
        amortization=lease.amortization,
        start_date=lease.start_date,
        schedule=scheduled_payments(lease),
        state=lease.state,
        activated_on=lease.activated_on,
        terminated_on=lease.terminated_on,
        delinquency_bucket=lease.delinquency_bucket,
        occurred_at=lease.updated_at,
        structure=lease.structure,
        rate_type=lease.rate_type,
        lpr_spread=lease.lpr_spread,
        classification=lease.classification,
        classification_criteria=lease.classification_criteria,
        vat_basis=lease.vat_basis,
        ended_on=lease.ended_on,
        **extra,
    )


def risk_checks(records: list[dict[str, Any]]) -> tuple[events.RiskCheck, ...]:
    return tuple(events.RiskCheck.model_validate(record) for record in records)
