"""Trading's insert-if-absent statements are constant text (#14): opening ledger accounts and
enqueueing an event's webhook deliveries run one single-row statement for all their rows
(asyncpg executemany), compiled once per process; what they write is unchanged: an account
or a delivery that exists already stays as it was."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from support.eventing_schema import participant_registered
from support.statement_cache import assert_compiled_once, cache_outcomes

from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope
from datapark_contracts.ids import uuid7
from datapark_kit.db import Database
from datapark_trading.partners.models import PartnerMember
from datapark_trading.settlement.ledger import Account, AccountKind
from datapark_trading.settlement.models import AccountRow
from datapark_trading.settlement.repository import LedgerRepository
from datapark_trading.webhooks.models import WebhookDeliveryRow, WebhookSubscriptionRow
from datapark_trading.webhooks.repository import WebhookRepository

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def test_accounts_are_opened_once_by_a_statement_compiled_once(database: Database) -> None:
    first, second, third = (Account(AccountKind.BUYER, uuid.uuid4().hex, "CNY") for _ in range(3))
    with cache_outcomes(database) as seen:
        for accounts, at in (([first, second], T0), ([second, third], T0 + timedelta(hours=1))):
            async with database.unit_of_work() as session:
                await LedgerRepository(session).hold_accounts(accounts, at, debited=[])
    assert_compiled_once(seen, "INSERT INTO trading.accounts ", 2)
    async with database.unit_of_work() as session:
        opened = {
            row.holder: row.opened_at
            for row in await session.scalars(
                select(AccountRow).where(
                    AccountRow.holder.in_([first.holder, second.holder, third.holder])
                )
            )
        }
    # the account opened first keeps its opening time; the new one is added
    assert opened == {
        first.holder: T0,
        second.holder: T0,
        third.holder: T0 + timedelta(hours=1),
    }


async def test_webhook_deliveries_are_enqueued_once_by_a_statement_compiled_once(
    database: Database,
) -> None:
    partner, member = uuid.uuid4(), uuid.uuid4()
    subscriptions = [uuid.uuid4(), uuid.uuid4()]
    async with database.unit_of_work() as session:
        session.add(PartnerMember(partner_id=partner, member_id=member, added_at=T0))
        session.add_all(
            WebhookSubscriptionRow(
                id=sid,
                partner_id=partner,
                url="https://partner.example/hook",
                secret="s" * 32,
                active=True,
                created_at=T0,
            )
            for sid in subscriptions
        )
    payload = participant_registered(member, "Webhook Statement Cache")
    envelope = Envelope(
        id=uuid7(),
        source="/datapark/catalog",
        type=payload.event_type,
        subject=payload.aggregate_id(),
        time=T0,
        data=payload.to_data(),
        aggseq=1,
        prevhash=GENESIS_HASH,
    ).sealed()
    with cache_outcomes(database) as seen:
        for _ in range(2):  # a redelivered event enqueues nothing more
            async with database.unit_of_work() as session:
                assert await WebhookRepository(session).enqueue(
                    envelope, parties={member}, at=T0
                ) == len(subscriptions)
    assert_compiled_once(seen, "INSERT INTO trading.webhook_deliveries ", 2)
    async with database.unit_of_work() as session:
        deliveries = list(
            await session.scalars(
                select(WebhookDeliveryRow).where(WebhookDeliveryRow.event_id == envelope.id)
            )
        )
    assert sorted(d.subscription_id for d in deliveries) == sorted(subscriptions)
    assert {(d.status, d.attempts, d.next_attempt_at, d.event_type) for d in deliveries} == {
        ("pending", 0, T0, payload.event_type)
    }
