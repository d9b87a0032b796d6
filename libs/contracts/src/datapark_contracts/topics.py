"""The topic registry: every topic the platform writes, with its settings, in one place.

Topics are created from this list (``python -m datapark_contracts.topics``); broker-side
auto-creation is off. The log is the audit record, so nothing ever expires.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CATALOG_PARTICIPANTS = "catalog.participants.v1"
CATALOG_LISTINGS = "catalog.listings.v1"
TRADING_TRADES = "trading.trades.v1"
RENTAL_ORDERS = "rental.orders.v1"
SUBSIDY_CLAIMS = "subsidy.claims.v1"
AUDIT_CHECKPOINTS = "audit.checkpoints.v1"

AUDIT_CONFIG = {"cleanup.policy": "delete", "retention.ms": "-1"}


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    owner: str
    key: str
    description: str
    config: dict[str, str] = field(default_factory=lambda: dict(AUDIT_CONFIG))


@dataclass(frozen=True)
class ConsumerGroup:
    """A service's consumer group: what it reads; its dead letters go to ``<group>.dlq``."""

    group_id: str
    service: str
    topics: tuple[str, ...]

    @property
    def dlq(self) -> str:
        return f"{self.group_id}.dlq"


TOPICS: tuple[Topic, ...] = (
    Topic(
        CATALOG_PARTICIPANTS,
        3,
        "catalog",
        "participant id",
        "Participants registered, updated, approved, suspended.",
    ),
    Topic(
        CATALOG_LISTINGS,
        6,
        "catalog",
        "data product, robot unit, kit or offering id",
        "Data products, venue listings, robot fleet and rental offerings.",
    ),
    Topic(
        TRADING_TRADES,
        6,
        "trading",
        "order, negotiation, agreement or transfer id",
        "Orders, negotiations, agreements, escrow movements and deliveries.",
    ),
    Topic(
        RENTAL_ORDERS,
        6,
        "rental",
        "booking or lease id",
        "Bookings, leases, installments, payments and usage invoices.",
    ),
    Topic(
        SUBSIDY_CLAIMS, 3, "subsidy", "claim or budget id", "Subsidy claims and budget movements."
    ),
    Topic(
        AUDIT_CHECKPOINTS,
        1,
        "platform",
        "relay term id",
        "Signed checkpoints of every service's relay: what it put on which partition.",
    ),
)

CONSUMER_GROUPS: tuple[ConsumerGroup, ...] = (
    ConsumerGroup("trading.worker", "trading", (CATALOG_PARTICIPANTS, CATALOG_LISTINGS)),
    ConsumerGroup("rental.worker", "rental", (CATALOG_PARTICIPANTS, CATALOG_LISTINGS)),
    ConsumerGroup("subsidy.worker", "subsidy", (CATALOG_PARTICIPANTS, RENTAL_ORDERS)),
)


def dlq_topic(group_id: str, partitions: int = 1) -> Topic:
    return Topic(
        f"{group_id}.dlq",
        partitions,
        "platform",
        "original key",
        f"Dead letters of consumer group {group_id}.",
    )


def all_topics() -> tuple[Topic, ...]:
    """Every topic to create: the event topics and one dead-letter topic per consumer group."""
    return TOPICS + tuple(dlq_topic(g.group_id) for g in CONSUMER_GROUPS)


def consumer_group(service: str) -> ConsumerGroup:
    return next(g for g in CONSUMER_GROUPS if g.service == service)
