"""All SQL about claims."""

from __future__ import annotations

import functools
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import TextClause, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TextualSelect

from datapark_kit.db import bound_insert, constant_statement, table_of
from datapark_subsidy.claims.models import Claim

_CLAIMS = table_of(Claim)


@functools.cache
def _lease_claim(columns: tuple[str, ...]) -> TextClause | TextualSelect:
    """A lease's claim unless its (lease, policy, period, basis) has one: constant text per set
    of columns, compiled once per process (a ``postgresql.insert`` has no cache key; #14)."""
    return constant_statement(
        bound_insert(_CLAIMS, columns)
        .on_conflict_do_nothing(constraint="uq_claims_lease_policy_period")
        .returning(_CLAIMS.c.id)
    )


class ClaimRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, claim: Claim) -> None:
        self.session.add(claim)
        await self.session.flush()

    async def add_for_lease(self, values: dict[str, object]) -> bool:
        """Insert a lease's claim unless that (lease, policy, period) already has one."""
        inserted = await self.session.execute(_lease_claim(tuple(values)), values)
        return inserted.scalar_one_or_none() is not None

    async def get(self, claim_id: uuid.UUID, *, for_update: bool = False) -> Claim | None:
        query = select(Claim).where(Claim.id == claim_id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def for_lease(self, lease_id: uuid.UUID, *, for_update: bool = False) -> list[Claim]:
        query = select(Claim).where(Claim.lease_id == lease_id).order_by(Claim.id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return list((await self.session.execute(query)).scalars())

    async def granted_by_company(
        self, policies: list[str], years: list[str]
    ) -> dict[uuid.UUID, Decimal]:
        """What real claims under ``policies`` for the calendar ``years`` were granted and
        still hold (reversed claims gave theirs back)."""
        rows = await self.session.execute(
            select(Claim.participant_id, func.sum(Claim.granted))
            .where(
                Claim.policy.in_(policies),
                Claim.period.in_(years),
                Claim.granted.is_not(None),
                Claim.status != "reversed",
            )
            .group_by(Claim.participant_id)
        )
        return {row[0]: row[1] or Decimal(0) for row in rows}

    async def lapsed(self, today: date, limit: int) -> list[Claim]:
        query = (
            select(Claim)
            .where(Claim.status == "funds_reserved", Claim.lapses_on <= today)
            .order_by(Claim.lapses_on)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(query)).scalars())

    async def page(
        self,
        *,
        participant_id: uuid.UUID | None,
        status: str | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[Claim]:
        query = select(Claim).order_by(Claim.id).limit(limit)
        if participant_id is not None:
            query = query.where(Claim.participant_id == participant_id)
        if status is not None:
            query = query.where(Claim.status == status)
        if after is not None:
            query = query.where(Claim.id > after)
        return list((await self.session.execute(query)).scalars())
