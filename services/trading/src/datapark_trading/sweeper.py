"""The sweeper: what happens because time passed, so nothing waits silently.

Every round, each in its own transaction: negotiations past their deadline expire with the
reason; deliveries whose confirmation period ran out are confirmed (and escrow released);
subscriptions are paid each period as it begins; escrow locks past their expiry are refunded.
One failing item never blocks the others.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from datapark_kit.db import Database
from datapark_kit.errors import ProblemError
from datapark_trading.negotiations.repository import NegotiationRepository
from datapark_trading.negotiations.service import NegotiationService
from datapark_trading.settlement.repository import LedgerRepository
from datapark_trading.settlement.service import SettlementService
from datapark_trading.transfers.repository import TransferRepository
from datapark_trading.transfers.service import TransferService

log = logging.getLogger("datapark.trading.sweeper")
BATCH = 100


class Sweeper:
    def __init__(self, database: Database, *, interval_seconds: float) -> None:
        self.database = database
        self.interval_seconds = interval_seconds

    async def run(self) -> None:
        while True:
            try:
                await self.sweep(datetime.now(UTC))
            except Exception:
                log.exception("sweep failed")
            await asyncio.sleep(self.interval_seconds)

    async def sweep(self, now: datetime) -> dict[str, int]:
        async with self.database.unit_of_work() as session:
            negotiations = await NegotiationRepository(session).due_to_expire(now, BATCH)
            transfers = await TransferRepository(session).due_for_confirmation(now, BATCH)
            subscriptions = await TransferRepository(session).subscriptions_in_delivery(BATCH)
            locks = await LedgerRepository(session).due_locks(now, BATCH)
        done = {
            "negotiations_expired": 0,
            "receipts_confirmed": 0,
            "subscriptions_settled": 0,
            "locks_refunded": 0,
        }
        for nid in negotiations:
            done["negotiations_expired"] += await self._each(
                nid, lambda s, i: NegotiationService(s).expire(i, now)
            )
        for tid in transfers:
            done["receipts_confirmed"] += await self._each(
                tid, lambda s, i: TransferService(s).auto_confirm(i, now)
            )
        for aid in subscriptions:
            done["subscriptions_settled"] += await self._each(
                aid, lambda s, i: TransferService(s).settle_subscription(i, now)
            )
        for aid in locks:
            done["locks_refunded"] += await self._each(
                aid, lambda s, i: SettlementService(s).expire(i, now)
            )
        return done

    async def _each(self, item: uuid.UUID, step: Callable[..., Awaitable[object | None]]) -> int:
        try:
            async with self.database.unit_of_work() as session:
                return 0 if await step(session, item) is None else 1
        except ProblemError as refused:  # changed meanwhile: nothing to do now
            log.info("sweep skipped %s: %s", item, refused.detail)
            return 0
