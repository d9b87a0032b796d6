"""Operations on real processes: relay leadership after a kill -9, and graceful shutdown on
SIGTERM (worker: the record in hand is finished and committed, the relay's lock is released;
API: requests in flight are answered, new connections are refused). Figures are printed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import MetaData, text
from support.helpers import KAFKA, eventually

from datapark_contracts.events.participants import ParticipantRegistered
from datapark_eventing.outbox import Outbox
from datapark_eventing.tables import EventingTables, eventing_tables
from datapark_kit.db import Database

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def ops_schema(
    migrated_database: str, kafka_topics: str
) -> AsyncIterator[tuple[Database, EventingTables, str]]:
    schema = f"ops_{uuid.uuid4().hex[:8]}"
    tables = eventing_tables(MetaData(schema=schema))
    database = Database(migrated_database, pool_size=3)
    async with database.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(tables.outbox.metadata.create_all)
        await conn.execute(text(f'CREATE TABLE "{schema}".applied (event_id uuid, pid int)'))
    yield database, tables, schema
    async with database.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await database.dispose()


@pytest.fixture
async def group_prefix() -> str:
    from conftest import start_groups_at_end

    prefix = f"ops-{uuid.uuid4().hex[:8]}."
    await start_groups_at_end(prefix)  # the new group starts at the end of the log
    return prefix


class Worker:
    def __init__(self, schema: str, prefix: str, database_url: str) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "OPS_DATABASE_URL": database_url,
            "OPS_KAFKA": KAFKA,
            "OPS_RELAY_POLL_SECONDS": "1.0",  # the production default
        }
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "ops_worker.py"), schema, prefix, str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    async def leads(self) -> bool:
        try:
            async with httpx.AsyncClient() as client:
                metrics = (await client.get(f"http://127.0.0.1:{self.port}/metrics")).text
        except httpx.HTTPError:
            return False
        return 'datapark_relay_leader{service="rental"} 1.0' in metrics

    async def up(self) -> bool:
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"http://127.0.0.1:{self.port}/healthz")).is_success
        except httpx.HTTPError:
            return False

    def stop(self) -> tuple[int, dict[str, int]]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=60)
        last = [line for line in out.splitlines() if line.startswith("{")]
        return self.process.returncode, json.loads(last[-1]) if last else {}


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.communicate(timeout=30)


def _registered(n: int) -> ParticipantRegistered:
    return ParticipantRegistered(
        participant_id=uuid.uuid4(),
        name=f"Ops Test {n}",
        uscc=None,
        kind="person",
        region_code="110105",
        roles=("customer",),
        park_member=False,
        status="pending",
        occurred_at=datetime.now(UTC),
    )


async def _append(database: Database, tables: EventingTables, n: int) -> uuid.UUID:
    async with database.unit_of_work() as session:
        # the schema's name is the source the ops worker applies (ops_worker.py)
        envelope = await Outbox(tables, tables.schema).append(session, _registered(n))
    return envelope.id


async def _scalar(database: Database, sql: str) -> int:
    async with database.unit_of_work() as session:
        return int(await session.scalar(text(sql)) or 0)


async def test_a_standby_relay_takes_over_after_the_leader_is_killed(
    ops_schema, group_prefix, workers
) -> None:
    database, tables, schema = ops_schema
    workers.extend(Worker(schema, group_prefix, database.url) for _ in range(2))
    for worker in workers:
        await eventually(worker.up, timeout=60)
    first = await _append(database, tables, 0)
    leader = await eventually(lambda: _leader(workers), timeout=30)
    standby = next(w for w in workers if w is not leader)
    sent = f"SELECT count(*) FROM \"{schema}\".outbox WHERE sent_at IS NOT NULL AND id = '{{}}'"
    await eventually(lambda: _scalar(database, sent.format(first)), timeout=30)

    leader.process.kill()  # kill -9: no clean-up, the session ends with the process
    killed_at = time.monotonic()
    second = await _append(database, tables, 1)
    await eventually(lambda: _scalar(database, sent.format(second)), timeout=60, interval=0.02)
    failover = time.monotonic() - killed_at
    print(
        f"\nrelay failover after kill -9 of the leader: {failover:.2f} s until the standby "
        "published (standby polls the lock every 1.0 s; a dead node instead of a dead "
        "process adds the TCP keepalive detection, about 19 s)"
    )
    assert await standby.leads()
    assert leader.process.poll() is not None


async def _leader(workers: list[Worker]) -> Worker | None:
    leading = [w for w in workers if await w.leads()]
    return leading[0] if len(leading) == 1 else None


async def _equals(database: Database, sql: str, wanted: int) -> bool:
    return await _scalar(database, sql) == wanted


async def test_sigterm_under_load_loses_nothing_and_applies_nothing_twice(
    ops_schema, group_prefix, workers
) -> None:
    database, tables, schema = ops_schema
    total = 150
    # a rolling update: two workers (relay leader + standby, sharing the group's partitions),
    # then the leader gets SIGTERM while events keep coming
    pair = [Worker(schema, group_prefix, database.url) for _ in range(2)]
    workers.extend(pair)
    for worker in pair:
        await eventually(worker.up, timeout=60)
    leader = await eventually(lambda: _leader(pair), timeout=30)
    successor = next(w for w in pair if w is not leader)

    async def load() -> None:
        for n in range(total):
            await _append(database, tables, n)
            await asyncio.sleep(0.02)

    loader = asyncio.create_task(load())
    applied = f'SELECT count(*) FROM "{schema}".applied'
    await eventually(lambda: _at_least(database, applied, 30), timeout=60)
    stopping = time.monotonic()
    code, counts = await asyncio.to_thread(leader.stop)
    stopped_in = time.monotonic() - stopping
    # uvicorn shuts down gracefully, then re-raises SIGTERM; the counts line is printed at
    # the end of the lifespan, so its presence proves the workers stopped in order
    assert code == -signal.SIGTERM
    assert "applied" in counts
    # the lock went with the relay's session: the successor leads
    await eventually(successor.leads, timeout=30)
    took_over = time.monotonic() - stopping
    await loader
    unsent = f'SELECT count(*) FROM "{schema}".outbox WHERE sent_at IS NULL'
    await eventually(lambda: _equals(database, unsent, 0), timeout=90)
    distinct = f'SELECT count(DISTINCT event_id) FROM "{schema}".applied'
    await eventually(lambda: _equals(database, distinct, total), timeout=90)
    _, later = await asyncio.to_thread(successor.stop)
    twice = f'SELECT count(*) - count(DISTINCT event_id) FROM "{schema}".applied'
    print(
        f"\nSIGTERM under load: the leading worker stopped in {stopped_in:.2f} s having applied "
        f"{counts.get('applied')} records, its successor led {took_over:.2f} s after the signal "
        f"and applied {later.get('applied')}; {total} events, each applied once "
        f"(inbox duplicates skipped: {counts.get('duplicates')} + {later.get('duplicates')})"
    )
    assert later.get("applied", 0) > 0
    assert counts.get("applied", 0) + later["applied"] == total
    assert await _scalar(database, twice) == 0


async def _at_least(database: Database, sql: str, wanted: int) -> bool:
    return await _scalar(database, sql) >= wanted


async def test_sigterm_lets_the_api_answer_requests_in_flight(migrated_database: str) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATAPARK_CATALOG_DATABASE_URL": migrated_database,
        "DATAPARK_CATALOG_KAFKA_BOOTSTRAP": KAFKA,
        "DATAPARK_CATALOG_ENVIRONMENT": "test",
        "DATAPARK_CATALOG_RUN_WORKERS": "false",
        "DATAPARK_CATALOG_PORT": str(port),
        "DATAPARK_CATALOG_LOG_JSON": "false",
    }
    api = subprocess.Popen(  # noqa: ASYNC220 - a server process, not awaited here
        [sys.executable, "-m", "datapark_catalog"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        async def up() -> bool:
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(f"http://127.0.0.1:{port}/healthz")).is_success
            except httpx.HTTPError:
                return False

        await eventually(up, timeout=60)
        body = b"grant_type=client_credentials&client_id=x&client_secret=y"
        head = (
            f"POST /v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        in_flight = []
        for _ in range(5):  # requests whose bodies are still on their way
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head + body[:10])
            await writer.drain()
            in_flight.append((reader, writer))
        await asyncio.sleep(0.3)
        api.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        with pytest.raises(OSError):  # no new connections once SIGTERM arrived
            await asyncio.open_connection("127.0.0.1", port)
        statuses = []
        for reader, writer in in_flight:
            writer.write(body[10:])
            await writer.drain()
            statuses.append((await asyncio.wait_for(reader.readline(), 30)).decode().strip())
            writer.close()
        code = await asyncio.to_thread(api.wait, 30)
    finally:
        if api.poll() is None:
            api.kill()
        api.communicate(timeout=30)
    print(f"\nSIGTERM with 5 requests in flight: answers {sorted(set(statuses))}, exit {code}")
    assert all(s.startswith("HTTP/1.1 4") for s in statuses), statuses
    assert code == -signal.SIGTERM  # uvicorn re-raises the signal after its graceful shutdown
