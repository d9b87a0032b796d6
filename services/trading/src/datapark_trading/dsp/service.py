"""DSP messages as moves of trading's own negotiations and transfers.

A contract request opens a negotiation through ``NegotiationService`` exactly as the REST API
does (same checks, same events on ``trading.trades.v1``, same escrow on finalize, same
agreement); a transfer request asks for delivery through ``TransferService``. The DSP rows only
add the counter-party's process id and callback address. The counter-party is always the
participant of the token (or the member its partner acts for), never anyone the body names.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events.trading import Terms as WireTerms
from datapark_kit.errors import Conflict, NotFound, ProblemError
from datapark_trading.agreements.codec import terms_to_wire
from datapark_trading.agreements.repository import AgreementRepository
from datapark_trading.dsp import messages as m
from datapark_trading.dsp.models import DspNegotiationRow, DspTransferRow
from datapark_trading.dsp.odrl import policy_of, terms_of
from datapark_trading.dsp.repository import DspRepository
from datapark_trading.listings.models import Listing
from datapark_trading.negotiations.repository import NegotiationRepository
from datapark_trading.negotiations.schemas import NegotiationCreate
from datapark_trading.negotiations.service import NegotiationService, negotiation_value
from datapark_trading.negotiations.states import Action
from datapark_trading.partners.actor import Actor
from datapark_trading.problems import TradingProblem
from datapark_trading.terms.schemas import Terms
from datapark_trading.transfers.service import TransferService
from datapark_trading.webhooks.destinations import require_public_destination

PROVIDER, CONSUMER = "provider", "consumer"
NOT_SENT = ""
"""The notified state of a process we began: the counter-party knows nothing of it yet."""
GRANT_TTL = timedelta(days=30)
CENT = Decimal("0.01")

DEFAULT_POLICY: dict[str, Any] = {
    "purpose": "use under the listing's licence",
    "permitted_uses": ["analytics"],
    "territory": ["CN"],
    "duration_seconds": 365 * 24 * 3600,
    "on_delisting": "continue",
}
"""The usage clauses of a listing's standard offer: a connector may ask for others."""


def offer_id(listing_id: uuid.UUID) -> str:
    return f"{m.OFFER_PREFIX}{listing_id}"


def listing_terms(listing: Listing) -> WireTerms:
    """The standard offer of a listing: its own price terms (a negotiable listing at its
    indicative price; metered at its monthly maximum, or a thousand units, as budget)."""
    price = listing.price_terms
    kind = price.get("kind")
    pricing: dict[str, Any]
    if kind == "fixed":
        pricing = {"kind": "fixed", "price": price["price"]}
    elif kind == "subscription":
        months = {"month": 1, "quarter": 3, "year": 12}[price["period"]]
        pricing = {
            "kind": "subscription",
            "price_per_period": price["price_per_period"],
            "period_months": months,
            "periods": 1,
        }
    elif kind == "metered":
        unit = {"mb": "megabyte"}.get(price["unit"], price["unit"])
        cap = price.get("monthly_maximum")
        thousand = Decimal(price["unit_price"]["amount"]) * 1000
        budget = cap["amount"] if cap else str(thousand.quantize(CENT))
        pricing = {
            "kind": "metered",
            "unit": unit,
            "unit_price": price["unit_price"]["amount"],
            "budget": {"amount": budget, "currency": "CNY"},
            "monthly_cap": cap,
        }
    else:
        indicative = price.get("indicative_price") or {"amount": "0.01"}
        pricing = {"kind": "fixed", "price": {"amount": indicative["amount"], "currency": "CNY"}}
    return WireTerms.model_validate({"pricing": pricing, "policy": DEFAULT_POLICY})


def dataset(listing: Listing, protocol_url: str) -> dict[str, Any]:
    """A listing as a DCAT dataset with its offer and one distribution (HTTP pull)."""
    return {
        "@id": str(listing.id),
        "@type": "Dataset",
        "title": listing.title,
        "hasPolicy": [
            policy_of(listing_terms(listing), policy_id=offer_id(listing.id), kind="Offer")
        ],
        "distribution": [
            {
                "@type": "Distribution",
                "format": m.PULL_FORMAT,
                "accessService": {
                    "@id": m.PLATFORM_PARTICIPANT,
                    "@type": "DataService",
                    "endpointURL": protocol_url,
                },
            }
        ],
    }


def _due_now() -> dict[str, Any]:
    """A new negotiation or transfer row's delivery bookkeeping: no attempt yet, and due for
    the notifier at once."""
    now = datetime.now(UTC)
    return {"attempts": 0, "next_attempt_at": now, "created_at": now}


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"{what} not found") from None


def pids(row: DspNegotiationRow | DspTransferRow) -> dict[str, str]:
    """providerPid and consumerPid of a process: ours is the negotiation or transfer id."""
    ours = str(row.negotiation_id if isinstance(row, DspNegotiationRow) else row.transfer_id)
    theirs = row.counterparty_pid or "urn:datapark:pending"
    if row.role == PROVIDER:
        return {"providerPid": ours, "consumerPid": theirs}
    return {"providerPid": theirs, "consumerPid": ours}


def negotiation_body(row: DspNegotiationRow, state: str) -> dict[str, Any]:
    return m.envelope("ContractNegotiation", **pids(row), state=state)


def transfer_body(row: DspTransferRow, state: str) -> dict[str, Any]:
    return m.envelope("TransferProcess", **pids(row), state=state)


def _require_role(row: DspNegotiationRow | DspTransferRow, role: str | None) -> None:
    if role is not None and row.role != role:
        other = "consumer" if role == PROVIDER else "provider"
        raise m.DspError(
            f"this message goes to the {role}; datapark is the {other} of this process",
            code=TradingProblem.WRONG_SIDE,
        )


def _reason(message: dict[str, Any]) -> str | None:
    reasons = message.get("reason")
    items = reasons if isinstance(reasons, list) else [reasons]
    words = [str(r.get("@value", r)) if isinstance(r, dict) else str(r) for r in items if r]
    text = "; ".join(words) or (str(message["code"]) if message.get("code") else "")
    return text[:1000] or None


def _event(message: dict[str, Any]) -> str:
    event_type = m.text(message, "eventType") or ""
    for prefix in ("dspace:", m.NAMESPACE):
        if event_type.startswith(prefix):
            return event_type[len(prefix) :]
    return event_type


class DspService:
    def __init__(self, session: AsyncSession, *, public_callbacks_only: bool) -> None:
        self.session = session
        self.repo = DspRepository(session)
        self.public_callbacks_only = public_callbacks_only

    # --- catalog -------------------------------------------------------------------------

    async def catalog(
        self, after: uuid.UUID | None, limit: int, protocol_url: str
    ) -> tuple[list[dict[str, Any]], uuid.UUID | None]:
        rows = await self.repo.tradable_listings(after=after, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        datasets = [dataset(row, protocol_url) for row in rows]
        return datasets, (rows[-1].id if more and rows else None)

    async def dataset(self, dataset_id: str, protocol_url: str) -> dict[str, Any]:
        listing = await self.repo.listing(_uuid(dataset_id, "dataset"))
        if listing is None or not listing.tradable:
            raise NotFound("dataset not found")
        return {"@context": [m.CONTEXT], **dataset(listing, protocol_url)}

    # --- shared --------------------------------------------------------------------------

    async def check_address(self, address: str, name: str) -> str:
        """A counter-party's address, checked like a webhook destination: outside development
        and test it is https and resolves to public addresses only."""
        if not address.startswith(("https://", "http://")) or len(address) > 2000:
            raise m.DspError(f"{name} is not an HTTP(S) URL", code=TradingProblem.INVALID_FIELD)
        if self.public_callbacks_only:
            if not address.startswith("https://"):
                raise m.DspError(f"{name} must use https", code=TradingProblem.ADDRESS_NOT_PUBLIC)
            try:
                await require_public_destination(address)
            except ProblemError as exc:
                raise m.DspError(
                    f"{name} refused: {exc.detail}", code=TradingProblem.ADDRESS_NOT_PUBLIC
                ) from None
        return address.rstrip("/")

    async def _callback(self, message: dict[str, Any]) -> str:
        address = m.text(message, "callbackAddress")
        assert address is not None
        return await self.check_address(address, "callbackAddress")

    @staticmethod
    def check_pids(message: dict[str, Any], row: DspNegotiationRow | DspTransferRow) -> None:
        """The process ids a message gives must name this process; ours must be given."""
        expected = pids(row)
        ours = "providerPid" if row.role == PROVIDER else "consumerPid"
        if m.text(message, ours, required=False) is None:
            raise m.DspError(f"{ours} is missing", code=TradingProblem.INVALID_FIELD)
        for name in ("providerPid", "consumerPid"):
            given = m.text(message, name, required=False)
            if given is None:
                continue
            if name != ours and row.counterparty_pid is None:
                row.counterparty_pid = given  # the provider's first message names its pid
            elif given != expected[name]:
                raise m.DspError(
                    f"{name} {given!r} does not name this process", code=TradingProblem.PID_MISMATCH
                )

    async def _negotiation(
        self, actor: Actor, pid: str, *, for_update: bool = False, role: str | None = None
    ) -> DspNegotiationRow:
        """The DSP negotiation ``pid`` (our process id) of the calling counter-party: 404 for
        anyone else; 400 when the message belongs to the other side of the protocol."""
        row = await self.repo.negotiation(_uuid(pid, "negotiation"), for_update=for_update)
        if row is None or row.counterparty_id != actor.participant_id:
            raise NotFound("negotiation not found")
        _require_role(row, role)
        return row

    async def _current_terms(self, negotiation_id: uuid.UUID) -> WireTerms:
        negotiations = NegotiationRepository(self.session)
        current = await negotiations.get(negotiation_id)
        assert current is not None
        value = negotiation_value(current, list(await negotiations.offers(current.id)))
        return terms_to_wire(value.current_offer.terms)

    @staticmethod
    def _offer(message: dict[str, Any], dataset_id: str | None) -> dict[str, Any]:
        offer = message.get("offer")
        if not isinstance(offer, dict):
            raise m.DspError("offer is missing", code=TradingProblem.INVALID_FIELD)
        target = offer.get("target")
        if target is not None and dataset_id is not None and m.odrl_target(target) != dataset_id:
            raise m.DspError(
                "the offer's target is not this negotiation's dataset",
                code=TradingProblem.UNKNOWN_OFFER,
            )
        return offer

    async def _move(
        self,
        actor: Actor,
        pid: str,
        message: dict[str, Any],
        action: Action,
        *,
        role: str,
        reason: str | None = None,
    ) -> DspNegotiationRow:
        row = await self._negotiation(actor, pid, for_update=True, role=role)
        self.check_pids(message, row)
        moved, _ = await NegotiationService(self.session).move(
            actor, row.negotiation_id, action, reason=reason
        )
        row.notified_state = moved.state
        return row

    # --- contract negotiation: datapark provides ------------------------------------------

    async def request(self, actor: Actor, message: dict[str, Any]) -> dict[str, Any]:
        """An initial ContractRequestMessage: a new negotiation (→ REQUESTED)."""
        consumer_pid = m.text(message, "consumerPid")
        assert consumer_pid is not None
        if message.get("providerPid") is not None:
            raise m.DspError(
                "an initial request has no providerPid", code=TradingProblem.INVALID_FIELD
            )
        if await self.repo.taken_pid(actor.participant_id, consumer_pid, transfer=False):
            raise Conflict(
                f"consumerPid {consumer_pid!r} already names a negotiation",
                code=TradingProblem.PID_TAKEN,
            )
        callback = await self._callback(message)
        offer = self._offer(message, None)
        offered = m.text(offer, "@id")
        assert offered is not None
        if not offered.startswith(m.OFFER_PREFIX):
            raise m.DspError(
                f"offer {offered!r} is not one of datapark's", code=TradingProblem.UNKNOWN_OFFER
            )
        listing_id = _uuid(offered[len(m.OFFER_PREFIX) :], "offer")
        self._offer(message, str(listing_id))
        listing = await self.repo.listing(listing_id)
        if listing is None:
            raise NotFound("dataset not found")
        terms = terms_of(offer, listing_terms(listing))
        opened, _ = await NegotiationService(self.session).open(
            actor, NegotiationCreate(listing_id=listing_id, terms=Terms.of_wire(terms))
        )
        row = DspNegotiationRow(
            negotiation_id=opened.id,
            role=PROVIDER,
            counterparty_id=actor.participant_id,
            counterparty_pid=consumer_pid,
            counterparty_address=callback,
            dataset_id=str(listing_id),
            offer_id=offered,
            notified_state=opened.state,
            **_due_now(),
        )
        await self.repo.add(row)
        return negotiation_body(row, opened.state)

    async def counter_request(
        self, actor: Actor, pid: str, message: dict[str, Any]
    ) -> dict[str, Any]:
        """A ContractRequestMessage on a running negotiation: the consumer's new terms."""
        row = await self._negotiation(actor, pid, for_update=True, role=PROVIDER)
        self.check_pids(message, row)
        offer = self._offer(message, row.dataset_id)
        terms = terms_of(offer, await self._current_terms(row.negotiation_id))
        moved, _ = await NegotiationService(self.session).counter(actor, row.negotiation_id, terms)
        row.notified_state = moved.state
        return negotiation_body(row, moved.state)

    async def verify(self, actor: Actor, pid: str, message: dict[str, Any]) -> None:
        """The consumer verifies the agreement (AGREED → VERIFIED)."""
        await self._move(actor, pid, message, Action.VERIFY, role=PROVIDER)

    # --- contract negotiation: datapark's member consumes ---------------------------------

    async def start_negotiation(
        self, actor: Actor, *, address: str, dataset_id: str, offer_id: str, own_address: str
    ) -> tuple[uuid.UUID, str]:
        """A member asks datapark to negotiate with the provider connector at ``address`` for a
        dataset listed on datapark (its listing id): the negotiation opens as REQUESTED and the
        notifier sends the ContractRequestMessage."""
        address = await self.check_address(address, "connector_address")
        listing = await self.repo.listing(_uuid(dataset_id, "dataset"))
        if listing is None:
            raise NotFound("dataset not found")
        opened, _ = await NegotiationService(self.session).open(
            actor,
            NegotiationCreate(listing_id=listing.id, terms=Terms.of_wire(listing_terms(listing))),
        )
        await self.repo.add(
            DspNegotiationRow(
                negotiation_id=opened.id,
                role=CONSUMER,
                counterparty_id=listing.provider_id,
                counterparty_address=address,
                own_address=own_address,
                dataset_id=str(listing.id),
                offer_id=offer_id,
                notified_state=NOT_SENT,
                **_due_now(),
            )
        )
        return opened.id, opened.state

    async def offer(self, actor: Actor, pid: str, message: dict[str, Any]) -> dict[str, Any]:
        """The provider's ContractOfferMessage: its counter-offer (REQUESTED → OFFERED)."""
        row = await self._negotiation(actor, pid, for_update=True, role=CONSUMER)
        self.check_pids(message, row)
        offer = self._offer(message, row.dataset_id)
        terms = terms_of(offer, await self._current_terms(row.negotiation_id))
        moved, _ = await NegotiationService(self.session).counter(actor, row.negotiation_id, terms)
        row.notified_state = moved.state
        return negotiation_body(row, moved.state)

    async def agreement(self, actor: Actor, pid: str, message: dict[str, Any]) -> None:
        """The provider's ContractAgreementMessage (REQUESTED | ACCEPTED → AGREED): its terms
        must be the ones on the table."""
        row = await self._negotiation(actor, pid, for_update=True, role=CONSUMER)
        self.check_pids(message, row)
        agreement = message.get("agreement")
        if not isinstance(agreement, dict):
            raise m.DspError("agreement is missing", code=TradingProblem.INVALID_FIELD)
        agreed_id = m.text(agreement, "@id")
        current = await self._current_terms(row.negotiation_id)
        if terms_of(agreement, current) != current:
            raise m.DspError(
                "the agreement's terms differ from the last offer: offer them first",
                code=TradingProblem.POLICY_MISMATCH,
            )
        moved, _ = await NegotiationService(self.session).move(
            actor, row.negotiation_id, Action.AGREE
        )
        row.notified_state = moved.state
        row.counterparty_agreement_id = agreed_id

    # --- both sides ----------------------------------------------------------------------

    async def event(self, actor: Actor, pid: str, message: dict[str, Any]) -> None:
        """ContractNegotiationEventMessage: ACCEPTED from a consumer, FINALIZED from a provider."""
        row = await self._negotiation(actor, pid)
        kind = _event(message)
        expected = "ACCEPTED" if row.role == PROVIDER else "FINALIZED"
        if kind != expected:
            sender = "consumer" if row.role == PROVIDER else "provider"
            raise m.DspError(
                f"a {sender} may not send the event {kind!r}", code=TradingProblem.INVALID_EVENT
            )
        action = Action.ACCEPT if kind == "ACCEPTED" else Action.FINALIZE
        await self._move(actor, pid, message, action, role=row.role)

    async def terminate(self, actor: Actor, pid: str, message: dict[str, Any]) -> None:
        row = await self._negotiation(actor, pid)
        reason = _reason(message) or "terminated by the counter-party's connector"
        await self._move(actor, pid, message, Action.TERMINATE, role=row.role, reason=reason)

    async def negotiation_state(self, actor: Actor, pid: str) -> dict[str, Any]:
        row = await self._negotiation(actor, pid)
        current = await NegotiationRepository(self.session).get(row.negotiation_id)
        assert current is not None
        return negotiation_body(row, current.state)

    # --- transfer process ----------------------------------------------------------------

    async def _transfer(
        self, actor: Actor, pid: str, *, for_update: bool = False, role: str | None = None
    ) -> DspTransferRow:
        row = await self.repo.transfer(_uuid(pid, "transfer"), for_update=for_update)
        if row is None or row.counterparty_id != actor.participant_id:
            raise NotFound("transfer process not found")
        _require_role(row, role)
        return row

    @staticmethod
    def _format(fmt: str | None) -> str:
        if fmt not in (m.PULL_FORMAT, f"dspace:{m.PULL_FORMAT}"):
            raise m.DspError(
                f"format {fmt!r} is not offered: datapark delivers {m.PULL_FORMAT}",
                code=TradingProblem.UNSUPPORTED_FORMAT,
            )
        return m.PULL_FORMAT

    async def transfer_request(
        self, actor: Actor, message: dict[str, Any], confirm_after: timedelta
    ) -> dict[str, Any]:
        """A consumer's connector asks for delivery under its agreement (→ REQUESTED)."""
        consumer_pid = m.text(message, "consumerPid")
        agreement_ref = m.text(message, "agreementId")
        assert consumer_pid is not None
        assert agreement_ref is not None
        fmt = self._format(m.text(message, "format"))
        if await self.repo.taken_pid(actor.participant_id, consumer_pid, transfer=True):
            raise Conflict(
                f"consumerPid {consumer_pid!r} already names a transfer process",
                code=TradingProblem.PID_TAKEN,
            )
        if message.get("dataAddress") is not None:
            raise m.DspError(
                "a pull transfer takes no dataAddress from the consumer",
                code=TradingProblem.UNSUPPORTED_FORMAT,
            )
        callback = await self._callback(message)
        agreement_id = _uuid(agreement_ref, "agreement")
        agreement = await AgreementRepository(self.session).get(agreement_id)
        if agreement is None or agreement.consumer_id != actor.participant_id:
            raise NotFound("agreement not found")
        transfer = await TransferService(self.session).request(
            actor, agreement_id, confirm_after, datetime.now(UTC)
        )
        row = DspTransferRow(
            transfer_id=transfer.id,
            role=PROVIDER,
            counterparty_id=actor.participant_id,
            counterparty_pid=consumer_pid,
            counterparty_address=callback,
            agreement_ref=agreement_ref,
            format=fmt,
            notified_state=transfer.state,
            **_due_now(),
        )
        await self.repo.add(row)
        return transfer_body(row, transfer.state)

    async def start_transfer(
        self,
        actor: Actor,
        *,
        agreement_id: uuid.UUID,
        address: str,
        fmt: str,
        own_address: str,
        confirm_after: timedelta,
    ) -> tuple[uuid.UUID, str]:
        """A member asks for delivery from the provider connector at ``address`` under its
        agreement; the notifier sends the TransferRequestMessage."""
        address = await self.check_address(address, "connector_address")
        fmt = self._format(fmt)
        agreement = await AgreementRepository(self.session).get(agreement_id)
        if agreement is None or agreement.consumer_id != actor.participant_id:
            raise NotFound("agreement not found")
        transfer = await TransferService(self.session).request(
            actor, agreement_id, confirm_after, datetime.now(UTC)
        )
        reference = await self.repo.counterparty_agreement_id(agreement_id)
        await self.repo.add(
            DspTransferRow(
                transfer_id=transfer.id,
                role=CONSUMER,
                counterparty_id=agreement.provider_id,
                counterparty_address=address,
                own_address=own_address,
                agreement_ref=reference or str(agreement_id),
                format=fmt,
                notified_state=NOT_SENT,
                **_due_now(),
            )
        )
        return transfer.id, transfer.state

    async def transfer_move(
        self, actor: Actor, pid: str, message: dict[str, Any], move: str
    ) -> None:
        """start, suspension, completion or termination from the counter-party: the consumer
        resumes, suspends, confirms receipt or terminates; the provider starts (with the data
        address) or resumes, suspends or terminates."""
        row = await self._transfer(actor, pid, for_update=True)
        self.check_pids(message, row)
        transfers = TransferService(self.session)
        at = datetime.now(UTC)
        reason = _reason(message)
        tid = row.transfer_id
        if move == "start" and row.role == CONSUMER:
            current = await transfers.get(actor, tid)
            if current.state == "REQUESTED":
                address = message.get("dataAddress")
                endpoint = address.get("endpoint") if isinstance(address, dict) else None
                if not isinstance(endpoint, str):
                    raise m.DspError(
                        "a pull transfer starts with a dataAddress endpoint",
                        code=TradingProblem.INVALID_FIELD,
                    )
                moved, _ = await transfers.start(actor, tid, endpoint, GRANT_TTL, at)
                row.data_address = address
            else:
                moved = await transfers.resume(actor, tid, at)
        elif move == "start":
            moved = await transfers.resume(actor, tid, at)
        elif move == "suspension":
            moved = await transfers.suspend(
                actor, tid, reason or "suspended by the counter-party", at
            )
        elif move == "completion":
            moved = await transfers.confirm(actor, tid, at)
        else:
            moved = await transfers.terminate(
                actor, tid, reason or "terminated by the counter-party", at
            )
        row.notified_state = moved.state

    async def transfer_state(self, actor: Actor, pid: str) -> dict[str, Any]:
        row = await self._transfer(actor, pid)
        transfer = await TransferService(self.session).get(actor, row.transfer_id)
        return transfer_body(row, transfer.state)

    async def data_address(self, actor: Actor, transfer_id: uuid.UUID) -> dict[str, Any] | None:
        """For the member that consumes: the data address the provider's connector sent."""
        transfer = await TransferService(self.session).get(actor, transfer_id)
        row = await self.repo.transfer(transfer.id)
        if row is None or row.role != CONSUMER:
            raise NotFound("no DSP transfer of this member")
        return row.data_address
