"""The lease state machine of leasing.md."""

from __future__ import annotations

from decimal import Decimal

import pytest

from datapark_kit.errors import InvalidState
from datapark_rental.leases.states import (
    TERMINAL_STATES,
    LeaseAction,
    LeaseMode,
    LeaseState,
    allowed_actions,
    event_type,
    require_activation_allowed,
    require_settled,
    transition,
)

A, S = LeaseAction, LeaseState


def walk(mode: LeaseMode, *actions: LeaseAction) -> tuple[LeaseState, list[str]]:
    state, facts = S.DRAFT, []
    for action in actions:
        step = transition(mode, state, action)
        state = step.target
        facts.append(event_type(step.fact))
    return state, facts


ONBOARD = (A.SUBMIT, A.APPROVE, A.SIGN, A.BILL_DOWN_PAYMENT, A.ACTIVATE)


def test_a_financing_lease_ends_with_title_transfer() -> None:
    state, facts = walk(LeaseMode.FINANCING, *ONBOARD, A.PAY_OFF, A.TRANSFER_TITLE)

    assert state is S.TITLE_TRANSFERRED
    assert facts == [
        "datapark.rental.lease.submitted.v1",
        "datapark.rental.lease.approved.v1",
        "datapark.rental.lease.signed.v1",
        "datapark.rental.lease.down_payment_billed.v1",
        "datapark.rental.lease.activated.v1",
        "datapark.rental.lease.paid_off.v1",
        "datapark.rental.lease.title_transferred.v1",
    ]


def test_an_early_buyout_also_leads_to_title_transfer() -> None:
    state, facts = walk(LeaseMode.FINANCING, *ONBOARD, A.EXECUTE_BUYOUT, A.TRANSFER_TITLE)

    assert state is S.TITLE_TRANSFERRED
    assert "datapark.rental.lease.bought_out.v1" in facts


@pytest.mark.parametrize("mode", [LeaseMode.LONG_TERM, LeaseMode.SERVICE])
def test_rentals_and_service_leases_end_with_the_return(mode: LeaseMode) -> None:
    state, _ = walk(mode, *ONBOARD, A.RETURN_EQUIPMENT, A.CLOSE)

    assert state is S.CLOSED


@pytest.mark.parametrize("mode", [LeaseMode.LONG_TERM, LeaseMode.SERVICE])
@pytest.mark.parametrize("action", [A.PAY_OFF, A.EXECUTE_BUYOUT])
def test_only_financing_leases_are_paid_off_to_ownership(
    mode: LeaseMode, action: LeaseAction
) -> None:
    with pytest.raises(InvalidState) as caught:
        walk(mode, *ONBOARD, action)

    assert caught.value.status == 409
    assert caught.value.extra == {"state": "active", "action": action.value}


def test_a_financed_unit_is_not_returned() -> None:
    with pytest.raises(InvalidState):
        walk(LeaseMode.FINANCING, *ONBOARD, A.RETURN_EQUIPMENT)


@pytest.mark.parametrize("ending", [A.REPOSSESS, A.WRITE_OFF])
def test_termination_leads_to_repossession_or_write_off(ending: LeaseAction) -> None:
    state, facts = walk(LeaseMode.FINANCING, *ONBOARD, A.TERMINATE, ending)

    assert state in {S.REPOSSESSED, S.WRITTEN_OFF}
    assert facts[-2] == "datapark.rental.lease.terminated.v1"


@pytest.mark.parametrize(
    "path",
    [
        (A.SUBMIT, A.REJECT),
        (A.WITHDRAW,),
        (A.SUBMIT, A.WITHDRAW),
        (A.SUBMIT, A.APPROVE, A.WITHDRAW),
    ],
)
def test_an_application_can_be_rejected_or_withdrawn_before_signing(
    path: tuple[LeaseAction, ...],
) -> None:
    state, _ = walk(LeaseMode.FINANCING, *path)

    assert state in TERMINAL_STATES


def test_a_signed_lease_can_no_longer_be_withdrawn_nor_skip_its_down_payment() -> None:
    signed, _ = walk(LeaseMode.FINANCING, A.SUBMIT, A.APPROVE, A.SIGN)

    for action in (A.WITHDRAW, A.ACTIVATE, A.APPROVE):
        with pytest.raises(InvalidState):
            transition(LeaseMode.FINANCING, signed, action)


def test_terminal_states_allow_nothing() -> None:
    for state in TERMINAL_STATES:
        for mode in LeaseMode:
            assert allowed_actions(mode, state) == []


def test_allowed_actions_of_an_active_lease_depend_on_its_mode() -> None:
    assert allowed_actions(LeaseMode.FINANCING, S.ACTIVE) == [
        A.PAY_OFF,
        A.EXECUTE_BUYOUT,
        A.TERMINATE,
    ]
    assert allowed_actions(LeaseMode.SERVICE, S.ACTIVE) == [A.RETURN_EQUIPMENT, A.TERMINATE]


def test_activation_needs_the_down_payment_and_delivery_acceptance() -> None:
    with pytest.raises(InvalidState, match=r"down payment outstanding: 100\.00"):
        require_activation_allowed(Decimal("100.00"), delivery_accepted=True)
    with pytest.raises(InvalidState, match="delivery"):
        require_activation_allowed(Decimal("0"), delivery_accepted=False)
    require_activation_allowed(Decimal("0"), delivery_accepted=True)


def test_paying_off_needs_nothing_outstanding() -> None:
    with pytest.raises(InvalidState, match=r"receivables outstanding: 0\.01"):
        require_settled(S.ACTIVE, A.PAY_OFF, Decimal("0.01"))
    require_settled(S.ACTIVE, A.PAY_OFF, Decimal("0.00"))
