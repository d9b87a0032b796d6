"""Robot fleet: depreciation, kits, maintenance windows, rental offerings and money input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from datapark_catalog.fleet.appraisal import (
    UnitAppraisal,
    appraised_value,
    validate_appraisal,
    validate_serial_number,
)
from datapark_catalog.fleet.composition import (
    OfferingFootprint,
    UnitRef,
    ensure_no_kit_overlap,
    ensure_units_offerable,
    periods_overlap,
    validate_kit,
    validate_window,
)
from datapark_catalog.fleet.offering_terms import (
    CancellationTier,
    OfferingTerms,
    RateCard,
    ServiceTerms,
    headline_rate,
    validate_offering,
    validate_rate_card,
)
from datapark_catalog.terms.money import parse_money
from datapark_catalog.valuations.depreciation import months_elapsed
from datapark_contracts.events.catalog_listings import (
    OfferingTargetKind,
    RentalMode,
    RobotUnitStatus,
    UsageUnit,
)
from datapark_kit.errors import Conflict, Unprocessable

D = Decimal
LESSOR = uuid4()
T0 = datetime(2026, 5, 1, tzinfo=UTC)


def field_of(exc: pytest.ExceptionInfo[Unprocessable]) -> str:
    return str(exc.value.extra["errors"][0]["field"])


# --- money input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [D("-0.01"), D("NaN"), D("sNaN"), D("Infinity"), D("1.005"), "x"])
def test_bad_money_is_422_naming_the_field(bad: Decimal | str) -> None:
    with pytest.raises(Unprocessable) as caught:
        parse_money(bad, "deposit")
    assert caught.value.status == 422
    assert field_of(caught) == "deposit"


def test_good_money_is_quantized_to_two_places() -> None:
    assert str(parse_money(D("12.5"), "deposit")) == "12.50"
    assert str(parse_money(D("12.500"), "deposit")) == "12.50"  # trailing zero is exact
    assert parse_money("0", "deposit") == D("0.00")
    with pytest.raises(Unprocessable):
        parse_money("0", "price", allow_zero=False)


# --- depreciation --------------------------------------------------------------------------------


UNIT = UnitAppraisal(D("1200000.00"), D("120000.00"), 60, date(2024, 1, 15))


@pytest.mark.parametrize(
    ("as_of", "value"),
    [
        # By hand: depreciable base 1,200,000 − 120,000 = 1,080,000 over 60 months = 18,000/month.
        (date(2024, 1, 15), D("1200000.00")),  # day 0
        (date(2024, 2, 14), D("1200000.00")),  # not yet a whole month
        (date(2024, 2, 15), D("1182000.00")),  # 1 month: 1,200,000 − 18,000
        (date(2025, 7, 14), D("894000.00")),  # 17 months: − 306,000
        (date(2025, 7, 15), D("876000.00")),  # 18 months: − 324,000
        (date(2029, 1, 15), D("120000.00")),  # 60 months: salvage
        (date(2035, 1, 1), D("120000.00")),  # never below salvage
        (date(2023, 1, 1), D("1200000.00")),  # before acquisition
    ],
)
def test_straight_line_depreciation(as_of: date, value: Decimal) -> None:
    assert appraised_value(UNIT, as_of) == value


def test_depreciation_rounds_half_up_once() -> None:
    # 1,000.00 over 7 months, no salvage: after 2 months 1000 − 2000/7 = 714.2857… → 714.29;
    # after 1 month 1000 − 142.857… = 857.142… → 857.14
    unit = UnitAppraisal(D("1000.00"), D(0), 7, date(2024, 1, 1))
    assert appraised_value(unit, date(2024, 3, 1)) == D("714.29")
    assert appraised_value(unit, date(2024, 2, 1)) == D("857.14")


@pytest.mark.parametrize(
    ("start", "as_of", "months"),
    [
        (date(2024, 1, 31), date(2024, 2, 29), 1),  # month-end to a shorter month-end
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2024, 1, 31), date(2024, 3, 30), 1),
        (date(2024, 1, 31), date(2024, 3, 31), 2),
        (date(2023, 12, 15), date(2024, 12, 15), 12),
        (date(2024, 5, 1), date(2024, 4, 1), 0),
    ],
)
def test_months_elapsed(start: date, as_of: date, months: int) -> None:
    assert months_elapsed(start, as_of) == months


@pytest.mark.parametrize(
    ("appraisal", "field"),
    [
        (replace(UNIT, acquisition_cost=D(0)), "acquisition_cost"),
        (replace(UNIT, acquisition_cost=D("-5")), "acquisition_cost"),
        (replace(UNIT, acquisition_cost=D("100.001")), "acquisition_cost"),
        (replace(UNIT, salvage_value=D("NaN")), "salvage_value"),
        (replace(UNIT, salvage_value=D("1200000.01")), "salvage_value"),
        (replace(UNIT, useful_life_months=0), "useful_life_months"),
        (replace(UNIT, useful_life_months=601), "useful_life_months"),
    ],
)
def test_bad_appraisal_inputs(appraisal: UnitAppraisal, field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_appraisal(appraisal)
    assert field_of(caught) == field


def test_serial_numbers() -> None:
    assert validate_serial_number("  ABB-IRB1200-0042 ") == "ABB-IRB1200-0042"
    for bad in ("", "   ", "x" * 65, "a\nb"):
        with pytest.raises(Unprocessable):
            validate_serial_number(bad)


# --- kits ----------------------------------------------------------------------------------------


def unit(lessor: UUID = LESSOR, status: RobotUnitStatus = RobotUnitStatus.AVAILABLE) -> UnitRef:
    return UnitRef(uuid4(), lessor, status)


def test_a_kit_of_one_lessors_units() -> None:
    units = [unit(), unit(), unit(status=RobotUnitStatus.IN_MAINTENANCE)]
    assert validate_kit(LESSOR, "Welding line A", units) == tuple(u.unit_id for u in units)


def test_a_kit_with_a_unit_of_another_lessor_is_422_naming_the_unit() -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_kit(LESSOR, "line", [unit(), unit(lessor=uuid4())])
    assert field_of(caught) == "unit_ids[1]"


@pytest.mark.parametrize(
    ("name", "units", "field"),
    [
        ("line", [], "unit_ids"),
        (" ", [unit()], "name"),
        ("line", [unit(status=RobotUnitStatus.RETIRED)], "unit_ids[0]"),
    ],
)
def test_bad_kits(name: str, units: list[UnitRef], field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_kit(LESSOR, name, units)
    assert field_of(caught) == field


def test_a_unit_twice_in_a_kit() -> None:
    u = unit()
    with pytest.raises(Unprocessable) as caught:
        validate_kit(LESSOR, "line", [u, u])
    assert field_of(caught) == "unit_ids"


# --- maintenance windows -------------------------------------------------------------------------


def test_maintenance_windows_are_half_open_and_aware() -> None:
    validate_window(T0, T0 + timedelta(hours=4))
    with pytest.raises(Unprocessable) as caught:
        validate_window(T0, T0)
    assert field_of(caught) == "end"
    with pytest.raises(Unprocessable) as caught:
        validate_window(datetime(2026, 5, 1), datetime(2026, 5, 2))
    assert field_of(caught) == "start"


# --- offerings -----------------------------------------------------------------------------------


def terms(**changes: object) -> OfferingTerms:
    base = OfferingTerms(
        target_kind=OfferingTargetKind.UNIT,
        modes=(RentalMode.SHORT_TERM, RentalMode.LONG_TERM),
        rate_card=RateCard(hour=D("300"), day=D("2000"), week=D("12000"), month=D("40000")),
        deposit=D("50000"),
        min_duration_seconds=2 * 3600,
        max_duration_seconds=365 * 24 * 3600,
        turnaround_before_seconds=3600,
        turnaround_after_seconds=2 * 3600,
        available_from=T0,
        cancellation_policy=(
            CancellationTier(0, D("0.5")),
            CancellationTier(2 * 86400, D("0")),
            CancellationTier(86400, D("0.2")),
        ),
        late_fee_per_hour=D("450"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_valid_offering_is_normalised() -> None:
    checked = validate_offering(terms())
    assert checked.rate_card.hour == D("300.00")
    assert [t.notice_seconds for t in checked.cancellation_policy] == [172800, 86400, 0]
    assert checked.service_terms is None


def test_a_service_lease_needs_service_terms() -> None:
    service = ServiceTerms(UsageUnit.PROCEDURE, D("8000"), D("120000"))
    checked = validate_offering(terms(modes=(RentalMode.SERVICE_LEASE,), service_terms=service))
    assert checked.service_terms == ServiceTerms(UsageUnit.PROCEDURE, D("8000.00"), D("120000.00"))
    with pytest.raises(Unprocessable) as caught:
        validate_offering(terms(modes=(RentalMode.SERVICE_LEASE,)))
    assert field_of(caught) == "service_terms"


def test_a_kit_offering_as_robot_container() -> None:
    checked = validate_offering(
        terms(target_kind=OfferingTargetKind.KIT, modes=(RentalMode.ROBOT_CONTAINER,))
    )
    assert checked.modes == (RentalMode.ROBOT_CONTAINER,)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rate_card": RateCard()}, "rate_card"),
        ({"rate_card": RateCard(hour=D("-1"))}, "rate_card.hour"),
        ({"rate_card": RateCard(day=D("NaN"), month=D(1))}, "rate_card.day"),
        ({"rate_card": RateCard(week=D("10.001"), month=D(1))}, "rate_card.week"),
        ({"rate_card": RateCard(month=D(0))}, "rate_card.month"),
        ({"rate_card": RateCard(hour=D(1))}, "rate_card.month"),  # long-term needs a month
        ({"modes": (RentalMode.SHORT_TERM,), "rate_card": RateCard(month=D(1))}, "rate_card"),
        ({"modes": ()}, "modes"),
        ({"modes": (RentalMode.SHORT_TERM, RentalMode.SHORT_TERM)}, "modes"),
        ({"modes": (RentalMode.SHORT_TERM, RentalMode.ROBOT_CONTAINER)}, "modes[1]"),
        (
            {"target_kind": OfferingTargetKind.KIT, "modes": (RentalMode.FINANCING_LEASE,)},
            "modes[0]",
        ),
        ({"deposit": D("-100")}, "deposit"),
        ({"deposit": D("1.234")}, "deposit"),
        ({"deposit": D("NaN")}, "deposit"),
        ({"min_duration_seconds": 0}, "min_duration_seconds"),
        ({"min_duration_seconds": 5430}, "min_duration_seconds"),  # not whole minutes
        ({"max_duration_seconds": 3600}, "max_duration_seconds"),  # below the minimum
        ({"max_duration_seconds": 11 * 365 * 86400}, "max_duration_seconds"),
        ({"turnaround_before_seconds": -60}, "turnaround_before_seconds"),
        ({"turnaround_before_seconds": 90}, "turnaround_before_seconds"),
        ({"turnaround_after_seconds": 7 * 86400 + 60}, "turnaround_after_seconds"),
        ({"available_until": T0}, "available_until"),
        ({"available_from": datetime(2026, 5, 1)}, "available_from"),
        ({"service_terms": ServiceTerms(UsageUnit.HOUR, D(1), D(1))}, "service_terms"),
        (
            {
                "cancellation_policy": (
                    CancellationTier(3600, D("0.1")),
                    CancellationTier(3600, D(0)),
                )
            },
            "cancellation_policy[1].notice_seconds",
        ),
        (
            {"cancellation_policy": (CancellationTier(30, D("0.1")),)},
            "cancellation_policy[0].notice_seconds",
        ),
        (
            {"cancellation_policy": (CancellationTier(3600, D("1.5")),)},
            "cancellation_policy[0].fee_rate",
        ),
        ({"late_fee_per_hour": D("-1")}, "late_fee_per_hour"),
    ],
)
def test_bad_offerings_are_422_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_offering(terms(**changes))
    assert field_of(caught) == field


def test_service_terms_money_is_checked() -> None:
    bad = ServiceTerms(UsageUnit.TASK, D("0.001"), D(0))
    with pytest.raises(Unprocessable) as caught:
        validate_offering(terms(modes=(RentalMode.SERVICE_LEASE,), service_terms=bad))
    assert field_of(caught) == "service_terms.price_per_use"


def test_the_headline_rate_is_the_shortest_period_on_the_card() -> None:
    assert headline_rate(RateCard(day=D("2000"), month=D("40000"))) == D("2000")
    assert headline_rate(RateCard(hour=D("300"), week=D("9000"))) == D("300")
    with pytest.raises(Unprocessable):
        headline_rate(RateCard())


def test_empty_rate_card_alone() -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_rate_card(RateCard(), "rate_card")
    assert caught.value.detail == "the rate card is empty"


# --- a unit in two kits' overlapping offerings ---------------------------------------------------


def footprint(
    kit: UUID | None,
    units: set[UUID],
    start: datetime,
    end: datetime | None,
    kind: OfferingTargetKind = OfferingTargetKind.KIT,
) -> OfferingFootprint:
    return OfferingFootprint(uuid4(), kind, kit, frozenset(units), start, end)


def test_periods_overlap_half_open() -> None:
    d = timedelta(days=1)
    assert periods_overlap(T0, T0 + d, T0 + d / 2, None)
    assert not periods_overlap(T0, T0 + d, T0 + d, T0 + 2 * d)  # touching is fine
    assert periods_overlap(T0, None, T0 + 100 * d, None)
    assert not periods_overlap(T0 + d, None, T0, T0 + d)


def test_a_unit_in_two_kits_overlapping_offerings_is_422() -> None:
    shared, a, b = uuid4(), uuid4(), uuid4()
    existing = footprint(uuid4(), {shared, a}, T0, T0 + timedelta(days=30))
    candidate = footprint(uuid4(), {shared, b}, T0 + timedelta(days=10), None)
    with pytest.raises(Unprocessable) as caught:
        ensure_no_kit_overlap(candidate, [existing])
    assert field_of(caught) == "unit_ids"
    assert str(shared) in caught.value.detail
    assert caught.value.code == "unit_in_overlapping_kit_offering"


def test_no_conflict_when_periods_do_not_overlap_or_units_differ() -> None:
    shared = uuid4()
    existing = footprint(uuid4(), {shared}, T0, T0 + timedelta(days=30))
    later = footprint(uuid4(), {shared}, T0 + timedelta(days=30), None)
    ensure_no_kit_overlap(later, [existing])
    other_units = footprint(uuid4(), {uuid4()}, T0, None)
    ensure_no_kit_overlap(other_units, [existing])


def test_same_kit_or_unit_offerings_are_not_a_kit_conflict() -> None:
    shared, kit = uuid4(), uuid4()
    existing = footprint(kit, {shared}, T0, None)
    ensure_no_kit_overlap(footprint(kit, {shared}, T0, None), [existing])  # same kit again
    unit_offer = footprint(None, {shared}, T0, None, OfferingTargetKind.UNIT)
    ensure_no_kit_overlap(unit_offer, [existing])
    ensure_no_kit_overlap(footprint(uuid4(), {shared}, T0, None), [unit_offer])


def test_only_own_live_units_are_offerable() -> None:
    ensure_units_offerable([unit()], LESSOR)
    with pytest.raises(Unprocessable) as caught:
        ensure_units_offerable([unit(), unit(lessor=uuid4())], LESSOR)
    assert field_of(caught) == "unit_ids[1]"
    with pytest.raises(Conflict):
        ensure_units_offerable([unit(status=RobotUnitStatus.RETIRED)], LESSOR)
