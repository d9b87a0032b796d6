"""All SQL of the DSP binding."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_trading.dsp.models import DspNegotiationRow, DspTransferRow
from datapark_trading.listings.models import Listing
from datapark_trading.negotiations.models import NegotiationRow
from datapark_trading.transfers.models import TransferRow


class DspRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: DspNegotiationRow | DspTransferRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def negotiation(
        self, negotiation_id: uuid.UUID, *, for_update: bool = False, skip_locked: bool = False
    ) -> DspNegotiationRow | None:
        query = select(DspNegotiationRow).where(DspNegotiationRow.negotiation_id == negotiation_id)
        if for_update:
            query = query.with_for_update(skip_locked=skip_locked)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def transfer(
        self, transfer_id: uuid.UUID, *, for_update: bool = False, skip_locked: bool = False
    ) -> DspTransferRow | None:
        query = select(DspTransferRow).where(DspTransferRow.transfer_id == transfer_id)
        if for_update:
            query = query.with_for_update(skip_locked=skip_locked)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def taken_pid(self, counterparty_id: uuid.UUID, pid: str, *, transfer: bool) -> bool:
        """Whether the counter-party already uses ``pid`` for a process with us."""
        row = DspTransferRow if transfer else DspNegotiationRow
        query = select(row.counterparty_pid).where(
            row.counterparty_id == counterparty_id, row.counterparty_pid == pid
        )
        return (await self.session.execute(query)).first() is not None

    async def tradable_listings(self, *, after: uuid.UUID | None, limit: int) -> Sequence[Listing]:
        """Listings that take trades, newest first (ids are UUIDv7), after ``after``."""
        query = (
            select(Listing)
            .where(Listing.product_state == "listed", Listing.listing_state == "listed")
            .order_by(Listing.id.desc())
            .limit(limit)
        )
        if after is not None:
            query = query.where(Listing.id < after)
        return (await self.session.execute(query)).scalars().all()

    async def listing(self, listing_id: uuid.UUID) -> Listing | None:
        return await self.session.get(Listing, listing_id)

    async def negotiations_to_notify(self, now: datetime, limit: int) -> list[uuid.UUID]:
        """DSP negotiations whose state moved past what the counter-party knows."""
        query = (
            select(DspNegotiationRow.negotiation_id)
            .join(NegotiationRow, NegotiationRow.id == DspNegotiationRow.negotiation_id)
            .where(
                NegotiationRow.state != DspNegotiationRow.notified_state,
                DspNegotiationRow.next_attempt_at <= now,
                DspNegotiationRow.gave_up_at.is_(None),
            )
            .order_by(DspNegotiationRow.next_attempt_at)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def transfers_to_notify(self, now: datetime, limit: int) -> list[uuid.UUID]:
        query = (
            select(DspTransferRow.transfer_id)
            .join(TransferRow, TransferRow.id == DspTransferRow.transfer_id)
            .where(
                TransferRow.state != DspTransferRow.notified_state,
                DspTransferRow.next_attempt_at <= now,
                DspTransferRow.gave_up_at.is_(None),
            )
            .order_by(DspTransferRow.next_attempt_at)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def counterparty_agreement_id(self, agreement_id: uuid.UUID) -> str | None:
        """The provider's id of an agreement datapark's member negotiated over DSP, if any."""
        query = (
            select(DspNegotiationRow.counterparty_agreement_id)
            .join(NegotiationRow, NegotiationRow.id == DspNegotiationRow.negotiation_id)
            .where(NegotiationRow.agreement_id == agreement_id)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def replace_grant_token(self, transfer_id: uuid.UUID, token_hash: str) -> None:
        """The access grant's token as handed to the consumer's connector (only its hash)."""
        await self.session.execute(
            update(TransferRow).where(TransferRow.id == transfer_id).values(token_hash=token_hash)
        )
