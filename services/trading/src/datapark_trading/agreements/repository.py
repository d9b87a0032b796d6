"""All SQL about agreements."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_trading.agreements.models import AgreementRow


def status_is(status: str, now: datetime) -> ColumnElement[bool]:
    """SQL for ``Agreement.status_at(now) == status``; ``running`` is pending or active."""
    live = and_(AgreementRow.terminated_at.is_(None), AgreementRow.superseded_by.is_(None))
    conditions: dict[str, ColumnElement[bool]] = {
        "terminated": AgreementRow.terminated_at.is_not(None),
        "superseded": and_(
            AgreementRow.terminated_at.is_(None), AgreementRow.superseded_by.is_not(None)
        ),
        "expired": and_(live, AgreementRow.ends_at <= now),
        "pending": and_(live, AgreementRow.ends_at > now, AgreementRow.starts_at > now),
        "active": and_(live, AgreementRow.ends_at > now, AgreementRow.starts_at <= now),
        "running": and_(live, AgreementRow.ends_at > now),
    }
    return conditions[status]


class AgreementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: AgreementRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def get(
        self, agreement_id: uuid.UUID, *, for_update: bool = False
    ) -> AgreementRow | None:
        query = select(AgreementRow).where(AgreementRow.id == agreement_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def running_for_listing(
        self, listing_id: uuid.UUID, now: datetime
    ) -> Sequence[AgreementRow]:
        query = (
            select(AgreementRow)
            .where(
                AgreementRow.listing_id == listing_id,
                AgreementRow.terminated_at.is_(None),
                AgreementRow.superseded_by.is_(None),
                AgreementRow.ends_at > now,
            )
            .order_by(AgreementRow.id)
            .with_for_update()
        )
        return (await self.session.execute(query)).scalars().all()

    async def page(
        self,
        *,
        party: uuid.UUID | None,
        after: uuid.UUID | None,
        limit: int,
        status: str | None = None,
        listing_id: uuid.UUID | None = None,
        now: datetime,
    ) -> Sequence[AgreementRow]:
        """Agreements in id (creation) order after ``after``; only those ``party`` is a side of
        unless ``party`` is ``None``."""
        query = select(AgreementRow).order_by(AgreementRow.id).limit(limit)
        if after is not None:
            query = query.where(AgreementRow.id > after)
        if party is not None:
            query = query.where(
                or_(AgreementRow.consumer_id == party, AgreementRow.provider_id == party)
            )
        if status is not None:
            query = query.where(status_is(status, now))
        if listing_id is not None:
            query = query.where(AgreementRow.listing_id == listing_id)
        return (await self.session.execute(query)).scalars().all()
