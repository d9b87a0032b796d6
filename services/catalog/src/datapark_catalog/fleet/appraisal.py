"""What a robot unit is worth: straight-line depreciation from its cost to its salvage value
over its useful life (the figure a unit response and its events show, and the collateral value
a lease starts from), and what a unit's registration must hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from datapark_catalog.terms.money import parse_money
from datapark_catalog.valuations.depreciation import straight_line_value
from datapark_kit.errors import Unprocessable

MAX_USEFUL_LIFE_MONTHS = 600


@dataclass(frozen=True)
class UnitAppraisal:
    """What straight-line depreciation needs: cost, salvage, life, acquisition date."""

    acquisition_cost: Decimal
    salvage_value: Decimal
    useful_life_months: int
    acquired_on: date


def validate_appraisal(a: UnitAppraisal) -> UnitAppraisal:
    cost = parse_money(a.acquisition_cost, "acquisition_cost", allow_zero=False)
    salvage = parse_money(a.salvage_value, "salvage_value")
    if salvage > cost:
        raise Unprocessable("salvage value must not exceed the cost", field="salvage_value")
    if not 0 < a.useful_life_months <= MAX_USEFUL_LIFE_MONTHS:
        raise Unprocessable(
            f"useful life is 1 to {MAX_USEFUL_LIFE_MONTHS} months", field="useful_life_months"
        )
    return UnitAppraisal(cost, salvage, a.useful_life_months, a.acquired_on)


def appraised_value(a: UnitAppraisal, as_of: date) -> Decimal:
    """The unit's value as of a date: straight line from cost to salvage over its life."""
    validate_appraisal(a)
    return straight_line_value(
        a.acquisition_cost, a.salvage_value, a.useful_life_months, a.acquired_on, as_of
    )


def validate_serial_number(serial: str) -> str:
    cleaned = serial.strip()
    if not cleaned or len(cleaned) > 64 or not cleaned.isprintable():
        raise Unprocessable("a serial number is 1 to 64 printable characters", field="serial")
    return cleaned
