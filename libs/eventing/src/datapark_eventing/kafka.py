"""Kafka clients configured the one way the platform uses them."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
from aiokafka.client import AIOKafkaClient


def make_producer(bootstrap: str, *, client_id: str) -> AIOKafkaProducer:
    """An idempotent producer: ``acks=all``, retries without duplicates or reordering."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
    )


async def broker_reachable(bootstrap: str) -> None:
    """Raise unless the cluster answers a metadata request."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=2_000)
    try:
        await client.bootstrap()
    finally:
        await client.close()
