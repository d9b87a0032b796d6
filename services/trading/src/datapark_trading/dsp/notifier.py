"""Tells counter-parties' connectors what datapark's side did, in DSP messages.

Whatever moves a DSP negotiation or transfer on the provider's side (the REST API, the
sweeper's expiry, a delisting) is noticed here: a background loop finds DSP processes whose
state moved past what the counter-party knows and posts the matching message to its callback
address (offer, agreement, finalized event, termination; transfer start with the access grant's
data address, suspension, completion, termination). Posting happens outside any transaction; a
failed post is retried with backoff, the counter-party's own moves are never echoed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from datapark_kit.db import Database
from datapark_kit.errors import Unprocessable
from datapark_trading.agreements.codec import terms_to_wire
from datapark_trading.dsp import messages as m
from datapark_trading.dsp.odrl import policy_of
from datapark_trading.dsp.repository import DspRepository
from datapark_trading.dsp.service import CONSUMER, PROVIDER, pids
from datapark_trading.negotiations.repository import NegotiationRepository
from datapark_trading.negotiations.service import negotiation_value
from datapark_trading.transfers.repository import TransferRepository
from datapark_trading.transfers.service import token_hash
from datapark_trading.webhooks.destinations import require_public_destination

log = logging.getLogger("datapark.trading.dsp")
LEASE = timedelta(seconds=30)
MAX_BACKOFF = 300.0
MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class Outgoing:
    url: str
    body: dict[str, Any] | None
    """``None``: nothing to tell (a move the counter-party made itself)."""
    state: str
    was: str
    learns_pid: bool = False
    """An initial request: the answer carries the provider's process id."""


def _provider_pid(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    for key in ("providerPid", "dspace:providerPid", f"{m.NAMESPACE}providerPid"):
        value = body.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, dict):
            value = value.get("@id", value.get("@value"))
        if isinstance(value, str) and value:
            return value[:2000]
    return None


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(0.2 * 2**attempts, MAX_BACKOFF))


class DspNotifier:
    def __init__(
        self,
        database: Database,
        client: httpx.AsyncClient,
        *,
        poll_seconds: float,
        batch_size: int = 20,
        concurrency: int = 8,
        public_only: bool = True,
    ) -> None:
        self.public_only = public_only
        self.concurrency = concurrency
        self.database = database
        self.client = client
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size

    async def run(self) -> None:
        while True:
            try:
                await self.round()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dsp notifier round failed")
            await asyncio.sleep(self.poll_seconds)

    async def round(self) -> int:
        """One pass over every due process; returns how many messages were posted."""
        now = datetime.now(UTC)
        async with self.database.unit_of_work() as session:
            repo = DspRepository(session)
            negotiations = await repo.negotiations_to_notify(now, self.batch_size)
            transfers = await repo.transfers_to_notify(now, self.batch_size)
        # concurrently, so one slow counter-party does not hold up the others' messages
        gate = asyncio.Semaphore(self.concurrency)

        async def one(process_id: uuid.UUID, negotiation: bool) -> int:
            build = self._negotiation_message if negotiation else self._transfer_message
            async with gate:
                return await self._deliver(process_id, build, negotiation=negotiation)

        posted = await asyncio.gather(
            *(one(nid, True) for nid in negotiations), *(one(tid, False) for tid in transfers)
        )
        return sum(posted)

    async def _deliver(
        self,
        process_id: uuid.UUID,
        build: Callable[[DspRepository, uuid.UUID], Awaitable[Outgoing | None]],
        *,
        negotiation: bool,
    ) -> int:
        async with self.database.unit_of_work() as session:
            repo = DspRepository(session)
            row = await (repo.negotiation if negotiation else repo.transfer)(
                process_id, for_update=True, skip_locked=True
            )
            if row is None:
                return 0
            outgoing = await build(repo, process_id)
            if outgoing is None:
                return 0
            if outgoing.body is None:
                row.notified_state = outgoing.state
                return 0
            row.next_attempt_at = datetime.now(UTC) + LEASE
        error: str | None = None
        provider_pid: str | None = None
        try:
            if self.public_only:
                # checked again at each send, like webhooks: a name may resolve elsewhere now
                await require_public_destination(outgoing.url)
            response = await self.client.post(outgoing.url, json=outgoing.body)
            if response.status_code >= 300:
                error = f"HTTP {response.status_code}"
            elif outgoing.learns_pid:
                provider_pid = _provider_pid(response)
                if provider_pid is None:
                    error = "the answer to the request names no providerPid"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Unprocessable as refused:
            error = refused.detail
        async with self.database.unit_of_work() as session:
            repo = DspRepository(session)
            row = await (repo.negotiation if negotiation else repo.transfer)(
                process_id, for_update=True
            )
            assert row is not None
            now = datetime.now(UTC)
            if error is None:
                if row.notified_state == outgoing.was:
                    row.notified_state = outgoing.state
                if provider_pid is not None and row.counterparty_pid is None:
                    row.counterparty_pid = provider_pid
                row.attempts, row.last_error, row.next_attempt_at = 0, None, now
                return 1
            log.warning("dsp message to %s failed: %s", outgoing.url, error)
            row.attempts += 1
            row.last_error = error[:2000]
            row.next_attempt_at = now + _backoff(row.attempts)
            if row.attempts >= MAX_ATTEMPTS:
                log.error(
                    "dsp messages to %s given up after %d attempts", outgoing.url, row.attempts
                )
                row.gave_up_at = now
            return 0

    async def _negotiation_message(self, repo: DspRepository, nid: uuid.UUID) -> Outgoing | None:
        dsp = await repo.negotiation(nid)
        negotiations = NegotiationRepository(repo.session)
        row = await negotiations.get(nid)
        if dsp is None or row is None or row.state == dsp.notified_state:
            return None
        n = negotiation_value(row, list(await negotiations.offers(nid)))
        terms = terms_to_wire(n.current_offer.terms)
        ids = pids(dsp)
        base = f"{dsp.counterparty_address}/negotiations/{dsp.counterparty_pid}"
        body: dict[str, Any] | None = None
        path, learns_pid = "", False
        round_offer = f"urn:datapark:offer:{nid}:{n.current_offer.round}"
        if dsp.role == PROVIDER:
            if row.state == "OFFERED":
                offer = policy_of(terms, policy_id=round_offer, kind="Offer", target=dsp.dataset_id)
                body, path = m.envelope("ContractOfferMessage", **ids, offer=offer), "/offers"
            elif row.state == "AGREED":
                assert row.agreement_id is not None
                agreement = policy_of(
                    terms,
                    policy_id=str(row.agreement_id),
                    kind="Agreement",
                    target=dsp.dataset_id,
                    assigner=m.participant_urn(row.provider_id),
                    assignee=m.participant_urn(row.consumer_id),
                    timestamp=m.stamp(row.updated_at),
                )
                body = m.envelope("ContractAgreementMessage", **ids, agreement=agreement)
                path = "/agreement"
            elif row.state == "FINALIZED":
                body = m.envelope("ContractNegotiationEventMessage", **ids, eventType="FINALIZED")
                path = "/events"
        elif row.state == "REQUESTED" and dsp.counterparty_pid is None:
            offer = policy_of(terms, policy_id=dsp.offer_id, kind="Offer", target=dsp.dataset_id)
            body = m.envelope(
                "ContractRequestMessage",
                consumerPid=str(nid),
                offer=offer,
                callbackAddress=dsp.own_address,
            )
            base, path, learns_pid = f"{dsp.counterparty_address}/negotiations", "/request", True
        elif dsp.counterparty_pid is None:
            pass  # the provider never heard of it: nothing to tell
        elif row.state == "REQUESTED":
            offer = policy_of(terms, policy_id=round_offer, kind="Offer", target=dsp.dataset_id)
            body, path = m.envelope("ContractRequestMessage", **ids, offer=offer), "/request"
        elif row.state == "ACCEPTED":
            body = m.envelope("ContractNegotiationEventMessage", **ids, eventType="ACCEPTED")
            path = "/events"
        elif row.state == "VERIFIED":
            body = m.envelope("ContractAgreementVerificationMessage", **ids)
            path = "/agreement/verification"
        if row.state == "TERMINATED" and dsp.counterparty_pid is not None:
            body = m.envelope(
                "ContractNegotiationTerminationMessage",
                **ids,
                code="terminated",
                reason=[row.termination_reason or "terminated"],
            )
            path = "/termination"
        return Outgoing(
            url=base + path,
            body=body,
            state=row.state,
            was=dsp.notified_state,
            learns_pid=learns_pid,
        )

    async def _transfer_message(self, repo: DspRepository, tid: uuid.UUID) -> Outgoing | None:
        dsp = await repo.transfer(tid)
        row = await TransferRepository(repo.session).get(tid)
        if dsp is None or row is None or row.state == dsp.notified_state:
            return None
        ids = pids(dsp)
        base = f"{dsp.counterparty_address}/transfers/{dsp.counterparty_pid}"
        body: dict[str, Any] | None = None
        path, learns_pid = "", False
        if dsp.role == CONSUMER and dsp.counterparty_pid is None:
            if row.state == "REQUESTED":
                body = m.envelope(
                    "TransferRequestMessage",
                    consumerPid=str(tid),
                    agreementId=dsp.agreement_ref,
                    format=dsp.format,
                    callbackAddress=dsp.own_address,
                )
                base, path = f"{dsp.counterparty_address}/transfers", "/request"
                learns_pid = True
        elif row.state == "STARTED" and dsp.role == PROVIDER and row.endpoint is not None:
            # the access grant goes to the consumer's connector: a fresh token, of which only
            # the hash is kept (the provider's gateway reports use with whatever token it sees)
            token = secrets.token_urlsafe(32)
            await repo.replace_grant_token(tid, token_hash(token))
            properties = [
                {"@type": "EndpointProperty", "name": "authorization", "value": token},
                {"@type": "EndpointProperty", "name": "authType", "value": "bearer"},
            ]
            if row.grant_expires_at is not None:
                expires = m.stamp(row.grant_expires_at)
                properties.append(
                    {"@type": "EndpointProperty", "name": "expiresAt", "value": expires}
                )
            address = {
                "@type": "DataAddress",
                "endpointType": m.HTTP_ENDPOINT_TYPE,
                "endpoint": row.endpoint,
                "endpointProperties": properties,
            }
            body, path = m.envelope("TransferStartMessage", **ids, dataAddress=address), "/start"
        elif row.state == "STARTED" and dsp.role == CONSUMER:
            body, path = m.envelope("TransferStartMessage", **ids), "/start"
        elif row.state == "SUSPENDED":
            body = m.envelope(
                "TransferSuspensionMessage",
                **ids,
                code="suspended",
                reason=[row.suspension or "suspended"],
            )
            path = "/suspension"
        elif row.state == "COMPLETED":
            body, path = m.envelope("TransferCompletionMessage", **ids), "/completion"
        elif row.state == "TERMINATED":
            body = m.envelope(
                "TransferTerminationMessage",
                **ids,
                code="terminated",
                reason=[row.termination_reason or "terminated"],
            )
            path = "/termination"
        return Outgoing(
            url=base + path,
            body=body,
            state=row.state,
            was=dsp.notified_state,
            learns_pid=learns_pid,
        )
