"""The transfer process: ``REQUESTED → STARTED ⇄ SUSPENDED → COMPLETED``, ``TERMINATED``.

Starting hands the consumer an access grant (token, endpoint, expiry) that never outlives the
agreement. The consumer confirms receipt (STARTED → COMPLETED), or the venue confirms it once
``confirm_after`` has passed since the start; confirmation is what releases escrow. Termination,
from any state that is not final, revokes the grant.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from datapark_kit.errors import Forbidden, InvalidState, Unprocessable
from datapark_trading.problems import TradingProblem
from datapark_trading.terms.agreement import Agreement
from datapark_trading.terms.parties import Party, Termination

ENTITY = "transfer"


class TransferState(StrEnum):
    REQUESTED = "REQUESTED"
    STARTED = "STARTED"
    SUSPENDED = "SUSPENDED"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"

    @property
    def is_final(self) -> bool:
        return self in (TransferState.COMPLETED, TransferState.TERMINATED)


class ConfirmedBy(StrEnum):
    CONSUMER = "consumer"
    AUTO = "auto"


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """What the consumer uses to fetch the data: a bearer token for one endpoint, until expiry."""

    token: str
    endpoint: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and self.issued_at <= now < self.expires_at

    def require_valid(self, now: datetime) -> None:
        """Refuse use of a revoked or expired grant (409 with the grant's state)."""
        if self.revoked_at is not None:
            raise InvalidState(
                "access_grant",
                "revoked",
                "use",
                f"the access grant was revoked at {self.revoked_at.isoformat()}",
            )
        if now >= self.expires_at:
            raise InvalidState(
                "access_grant",
                "expired",
                "use",
                f"the access grant expired at {self.expires_at.isoformat()}",
            )


@dataclass(frozen=True, slots=True)
class Confirmation:
    by: ConfirmedBy
    at: datetime


@dataclass(frozen=True, slots=True)
class Transfer:
    """One delivery under an agreement."""

    id: UUID
    agreement_id: UUID
    state: TransferState
    requested_at: datetime
    confirm_after: timedelta
    updated_at: datetime
    started_at: datetime | None = None
    grant: AccessGrant | None = None
    suspension: str | None = None
    confirmation: Confirmation | None = None
    termination: Termination | None = None

    @property
    def confirm_due_at(self) -> datetime | None:
        """When the venue confirms receipt on the consumer's behalf."""
        return None if self.started_at is None else self.started_at + self.confirm_after

    def require_usable(self, now: datetime) -> AccessGrant:
        """The grant, if the transfer is running and the grant still valid; else 409."""
        if self.state is not TransferState.STARTED or self.grant is None:
            reason = f"the transfer is {self.state.value}"
            if self.suspension and self.state is TransferState.SUSPENDED:
                reason += f": {self.suspension}"
            raise InvalidState(ENTITY, self.state.value, "use", reason)
        self.require_valid_grant(now)
        return self.grant

    def require_valid_grant(self, now: datetime) -> None:
        if self.grant is not None:
            self.grant.require_valid(now)


def _refuse(t: Transfer, action: str, reason: str) -> InvalidState:
    return InvalidState(ENTITY, t.state.value, action, reason)


def _require(t: Transfer, action: str, *sources: TransferState) -> None:
    if t.state not in sources:
        if t.state is TransferState.TERMINATED and t.termination is not None:
            raise _refuse(t, action, f"the transfer was terminated: {t.termination.reason}")
        allowed = " or ".join(s.value for s in sources)
        raise _refuse(t, action, f"{action} needs the transfer in {allowed}, it is {t.state.value}")


def request(
    *, transfer_id: UUID, agreement: Agreement, by: Party, at: datetime, confirm_after: timedelta
) -> Transfer:
    """The consumer asks for delivery under a running agreement (∅ → REQUESTED)."""
    if by is not Party.CONSUMER:
        raise Forbidden("only the consumer requests a transfer", code=TradingProblem.WRONG_PARTY)
    agreement.require_running("request transfer", at)
    if confirm_after <= timedelta(0):
        raise Unprocessable("the confirmation period must be positive", field="confirm_after")
    return Transfer(
        id=transfer_id,
        agreement_id=agreement.id,
        state=TransferState.REQUESTED,
        requested_at=at,
        confirm_after=confirm_after,
        updated_at=at,
    )


def start(
    t: Transfer,
    *,
    agreement: Agreement,
    by: Party,
    token: str,
    endpoint: str,
    at: datetime,
    grant_ttl: timedelta,
) -> Transfer:
    """The provider starts delivery and hands out an access grant (REQUESTED → STARTED).

    The grant expires after ``grant_ttl`` or with the agreement, whichever comes first.
    """
    if by is not Party.PROVIDER:
        raise Forbidden("only the provider starts a transfer", code=TradingProblem.WRONG_PARTY)
    _require(t, "start", TransferState.REQUESTED)
    agreement.require_running("start transfer", at)
    if len(token) < 32:
        raise Unprocessable("an access token has at least 32 characters", field="token")
    if not endpoint.startswith("https://"):
        raise Unprocessable("an access endpoint is an https URL", field="endpoint")
    if grant_ttl <= timedelta(0):
        raise Unprocessable("a grant lasts a positive time", field="grant_ttl")
    grant = AccessGrant(
        token=token,
        endpoint=endpoint,
        issued_at=at,
        expires_at=min(at + grant_ttl, agreement.ends_at),
    )
    return dataclasses.replace(
        t, state=TransferState.STARTED, started_at=at, grant=grant, updated_at=at
    )


def suspend(t: Transfer, *, reason: str, at: datetime) -> Transfer:
    """Pause a running delivery (either side, or the venue when the listing is suspended)."""
    _require(t, "suspend", TransferState.STARTED)
    if not reason.strip():
        raise Unprocessable("a suspension needs a reason", field="reason")
    return dataclasses.replace(t, state=TransferState.SUSPENDED, suspension=reason, updated_at=at)


def resume(t: Transfer, *, agreement: Agreement, at: datetime) -> Transfer:
    """Continue a paused delivery (SUSPENDED → STARTED), only while the agreement runs."""
    _require(t, "resume", TransferState.SUSPENDED)
    agreement.require_running("resume transfer", at)
    return dataclasses.replace(t, state=TransferState.STARTED, suspension=None, updated_at=at)


def confirm(t: Transfer, *, by: Party, at: datetime) -> Transfer:
    """The consumer confirms receipt (STARTED → COMPLETED)."""
    if by is not Party.CONSUMER:
        raise Forbidden("only the consumer confirms receipt", code=TradingProblem.WRONG_PARTY)
    _require(t, "confirm", TransferState.STARTED)
    return _completed(t, ConfirmedBy.CONSUMER, at)


def is_due_for_auto_confirmation(t: Transfer, now: datetime) -> bool:
    due = t.confirm_due_at
    return t.state is TransferState.STARTED and due is not None and now >= due


def auto_confirm(t: Transfer, *, now: datetime) -> Transfer:
    """The venue confirms receipt once the confirmation period has passed without complaint."""
    _require(t, "auto-confirm", TransferState.STARTED)
    due = t.confirm_due_at
    if due is None or now < due:
        raise _refuse(t, "auto-confirm", f"receipt is confirmed automatically from {due}")
    return _completed(t, ConfirmedBy.AUTO, now)


def _completed(t: Transfer, by: ConfirmedBy, at: datetime) -> Transfer:
    return dataclasses.replace(
        t, state=TransferState.COMPLETED, confirmation=Confirmation(by, at), updated_at=at
    )


def terminate(t: Transfer, *, by: Party | None, reason: str, at: datetime) -> Transfer:
    """End the delivery from any non-final state and revoke the grant."""
    _require(
        t, "terminate", TransferState.REQUESTED, TransferState.STARTED, TransferState.SUSPENDED
    )
    grant = t.grant
    if grant is not None and grant.revoked_at is None:
        grant = dataclasses.replace(grant, revoked_at=at)
    return dataclasses.replace(
        t,
        state=TransferState.TERMINATED,
        grant=grant,
        updated_at=at,
        termination=Termination(reason=reason, at=at, by=by),
    )
