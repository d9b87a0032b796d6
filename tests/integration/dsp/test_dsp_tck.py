"""The Eclipse Dataspace TCK (DSP 2025-1, org.eclipse.dataspacetck.dsp from Maven Central)
against trading served over real HTTP: metadata, catalog, contract negotiation and transfer
process. Prints passed/failed per module; passes when every case passes except exactly the
known failures that docs/dataspace.md lists with their reasons (so a regression fails, and so
does a fix that nobody recorded). A negotiation the TCK began must be in GET /v1/negotiations
and on trading.trades.v1 like any other."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from integration.dsp.dsp_tck_support import (
    CATALOG_DATASETS,
    CN_C_SCRIPTS,
    CN_SCRIPTS,
    MODULES,
    TP_C_SCRIPTS,
    TP_SCRIPTS,
    Seed,
    Sides,
    fetch_tck,
    free_port,
    module_of,
    run_tck,
    serving,
    tck_properties,
    trigger_relay,
)
from integration.trading.trading_support import fund, listed_product, participant
from support.helpers import KAFKA, eventually

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("java") is None or shutil.which("mvn") is None,
        reason="the DSP TCK needs Java 17+ and Maven",
    ),
]

# Each case the TCK (1.0.0-RC6) fails against datapark, with its reason in docs/dataspace.md.
KNOWN_FAILURES = {
    # the TCK's counter-offer names dataset ACN0102 and offer CD123:ACN0102:456 whatever the
    # configuration says; datapark refuses an offer for another dataset
    "CN:01-02",
    # only the consumer completes a transfer on datapark: its confirmation of receipt is what
    # releases the escrow to the seller, so a provider's completion is refused
    "TP:01-02",
    "TP:01-04",
    "TP_C:01-02",
    "TP_C:01-04",
    # the TCK starts consumer-side transfers with the data address http://example.com;
    # datapark takes https data addresses only (transfers/states.py), so the start is refused
    "TP_C:01-01",
    "TP_C:01-03",
    "TP_C:02-01",
    "TP_C:02-02",
    "TP_C:02-03",
    "TP_C:03-03",
    "TP_C:03-04",
    "TP_C:03-05",
    "TP_C:03-06",
}


async def orders(trading: Any, buyer: dict[str, str], listing: uuid.UUID, names: Any) -> Any:
    agreements = {}
    for name in names:
        order = await trading.post(
            "/v1/orders",
            headers=buyer,
            json={
                "listing_id": str(listing),
                "policy": {
                    "purpose": "DSP TCK transfer scenarios",
                    "permitted_uses": ["analytics"],
                    "territory": ["CN"],
                },
            },
        )
        assert order.status_code == 201, order.text
        agreements[name] = uuid.UUID(order.json()["agreement"]["id"])
    return agreements


async def seed(catalog: Any, trading: Any, token: Any) -> Seed:
    provider = await participant(catalog, trading, token)
    tck = await participant(catalog, trading, token)
    member = await participant(catalog, trading, token)
    price = {"kind": "fixed", "price": "100.00"}
    sold = [*CN_SCRIPTS, "TP"]
    bought = [*CN_C_SCRIPTS, "TP_C"]
    listed = await asyncio.gather(
        *(listed_product(catalog, trading, token, provider, price) for _ in sold),
        *(listed_product(catalog, trading, token, tck, price) for _ in bought),
    )
    names = [*sold, *bought]
    listings = {name: listing for name, (_, listing) in zip(names, listed, strict=True)}
    # listed last, so they lead the catalog's first page (newest first) when the TCK asks
    for name in CATALOG_DATASETS:
        listings[name] = (await listed_product(catalog, trading, token, provider, price))[1]
    await fund(trading, token, tck, "100000.00")
    await fund(trading, token, member, "100000.00")
    agreements = await orders(
        trading, token("participant", participant_id=tck), listings["TP"], TP_SCRIPTS
    )
    agreements |= await orders(
        trading, token("participant", participant_id=member), listings["TP_C"], TP_C_SCRIPTS
    )
    return Seed(tck, provider, member, listings, agreements)


async def trades_keys(start: dict[Any, int]) -> set[bytes]:
    """Every record key on trading.trades.v1 since ``start`` (offsets per partition)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA, group_id=None, enable_auto_commit=False)
    await consumer.start()
    keys: set[bytes] = set()
    try:
        partitions = list(start)
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, start[tp])
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                keys.update(r.key for r in records if r.key is not None)
    finally:
        await consumer.stop()
    return keys


async def trades_offsets() -> dict[Any, int]:
    """The end offset of every partition of trading.trades.v1 now."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        (described,) = await admin.describe_topics(["trading.trades.v1"])
    finally:
        await admin.close()
    tps = [TopicPartition("trading.trades.v1", p["partition"]) for p in described["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


@pytest.mark.timeout(420)
# the TCK's consumer-side cases wait for callbacks with fixed timeouts: a run whose failures
# differ from the known list is run once more; differing twice fails make test (the rerun is
# reported in pytest's summary)
@pytest.mark.flaky(reruns=1)
async def test_the_dsp_tck_passes_against_trading(
    catalog: Any, trading: Any, token: Any, tmp_path: Path
) -> None:
    await asyncio.to_thread(fetch_tck)
    data = await seed(catalog, trading, token)
    offsets = await trades_offsets()
    member = token("participant", participant_id=data.member_id)
    sides = Sides(trading, token("participant", participant_id=data.provider_id), member, data)
    trading_port, tck_port, trigger_port = free_port(), free_port(), free_port()
    tck_token = token("participant", participant_id=data.tck_id)["Authorization"]
    properties = tck_properties(
        data,
        trading_port=trading_port,
        tck_port=tck_port,
        trigger_port=trigger_port,
        authorization=tck_token,
    )
    relay = trigger_relay(f"http://127.0.0.1:{trading_port}", member)
    acting = asyncio.create_task(sides.run())
    try:
        async with serving(trading.app, trading_port), serving(relay, trigger_port):
            results = await run_tck(properties, tmp_path)
    finally:
        acting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await acting

    print("\nDSP TCK 1.0.0-RC6 (DSP 2025-1) against trading:")
    for module in (*MODULES, "other"):
        rows = [r for r in results if module_of(r[1]) == module]
        if not rows:
            continue
        passed = sum(1 for r in rows if r[0] == "SUCCESSFUL")
        skipped = sum(1 for r in rows if r[0] in ("SKIPPED", "ABORTED"))
        print(
            f"  {module:12s} passed {passed:3d}  failed {len(rows) - passed - skipped:3d}"
            f"  skipped {skipped}"
        )
    failed = {r[1].split(":")[0] + ":" + r[1].split(":")[1] for r in results if r[0] == "FAILED"}
    for status, name, message in results:
        if status == "FAILED":
            print(f"  FAILED {name}: {message[:300]}")
    for error in sides.errors:
        print(f"  seller/member move refused: {error}")
    assert results, "the TCK ran no test"
    assert failed == KNOWN_FAILURES

    # a negotiation the TCK began is trading's own: listed over REST and on Kafka
    seller = token("participant", participant_id=data.provider_id)
    page = await trading.get("/v1/negotiations", headers=seller, params={"limit": 200})
    begun = [n for n in page.json()["items"] if n["consumer_id"] == str(data.tck_id)]
    finalized = [n for n in begun if n["state"] == "FINALIZED"]
    assert len(begun) == len(CN_SCRIPTS), page.text
    assert finalized, page.text

    async def on_kafka() -> bool:
        keys = await trades_keys(offsets)
        return all(n["id"].encode() in keys for n in begun)

    await eventually(on_kafka, timeout=60, interval=1.0)
