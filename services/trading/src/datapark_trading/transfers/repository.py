"""All SQL about transfers, meters and the usage log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_trading.agreements.models import AgreementRow
from datapark_trading.settlement.models import EscrowLockRow
from datapark_trading.transfers.models import TransferRow, UsageMeterRow, UsageRecordRow


class TransferRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: TransferRow | UsageRecordRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def get(self, transfer_id: uuid.UUID, *, for_update: bool = False) -> TransferRow | None:
        query = select(TransferRow).where(TransferRow.id == transfer_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def by_token_hash(self, token_hash: str) -> TransferRow | None:
        query = select(TransferRow).where(TransferRow.token_hash == token_hash).with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def of_agreement(
        self, agreement_id: uuid.UUID, states: tuple[str, ...]
    ) -> Sequence[TransferRow]:
        query = (
            select(TransferRow)
            .where(TransferRow.agreement_id == agreement_id, TransferRow.state.in_(states))
            .order_by(TransferRow.id)
            .with_for_update()
        )
        return (await self.session.execute(query)).scalars().all()

    async def page(
        self,
        *,
        party: uuid.UUID | None,
        after: uuid.UUID | None,
        limit: int,
        state: str | None = None,
    ) -> Sequence[TransferRow]:
        """Transfers in id (creation) order after ``after``; only those under an agreement
        ``party`` is a side of unless ``party`` is ``None``."""
        query = select(TransferRow).order_by(TransferRow.id).limit(limit)
        if after is not None:
            query = query.where(TransferRow.id > after)
        if party is not None:
            query = query.join(AgreementRow, AgreementRow.id == TransferRow.agreement_id).where(
                or_(AgreementRow.consumer_id == party, AgreementRow.provider_id == party)
            )
        if state is not None:
            query = query.where(TransferRow.state == state)
        return (await self.session.execute(query)).scalars().all()

    async def due_for_confirmation(self, now: datetime, limit: int) -> list[uuid.UUID]:
        confirm_by = TransferRow.started_at + func.make_interval(
            0, 0, 0, 0, 0, 0, TransferRow.confirm_after_seconds
        )
        query = (
            select(TransferRow.id)
            .where(TransferRow.state == "STARTED", confirm_by <= now)
            .order_by(TransferRow.started_at)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def subscriptions_in_delivery(self, limit: int) -> list[uuid.UUID]:
        """Subscription agreements with a confirmed delivery and money still locked."""
        query = (
            select(AgreementRow.id)
            .join(EscrowLockRow, EscrowLockRow.agreement_id == AgreementRow.id)
            .where(
                AgreementRow.terms["pricing"]["kind"].astext == "subscription",
                EscrowLockRow.status == "held",
                select(TransferRow.id)
                .where(
                    TransferRow.agreement_id == AgreementRow.id,
                    TransferRow.state == "COMPLETED",
                )
                .exists(),
            )
            .order_by(AgreementRow.id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def meter(self, agreement_id: uuid.UUID) -> UsageMeterRow | None:
        query = (
            select(UsageMeterRow)
            .where(UsageMeterRow.agreement_id == agreement_id)
            .with_for_update()
        )
        return (await self.session.execute(query)).scalar_one_or_none()
