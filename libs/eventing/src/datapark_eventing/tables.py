"""The eventing tables every service keeps in its own schema: outbox, inbox, chain heads."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID


@dataclass(frozen=True)
class EventingTables:
    outbox: Table
    inbox: Table
    chain_heads: Table

    @property
    def schema(self) -> str:
        assert self.outbox.schema is not None
        return self.outbox.schema


def eventing_tables(metadata: MetaData) -> EventingTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True, comment="the event id (UUIDv7)"),
        Column("position", BigInteger, Identity(always=True), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("source", String(200), nullable=False),
        Column("subject", String(200), nullable=False, comment="aggregate id = Kafka key"),
        Column("event_time", DateTime(timezone=True), nullable=False),
        Column("payload", Text, nullable=False, comment="the exact JSON record value"),
        Column("aggseq", Integer, nullable=False),
        Column("prevhash", String(64), nullable=False),
        Column("eventhash", String(64), nullable=False),
        Column("dataschema", Text, nullable=False),
        Column("traceparent", Text, nullable=True),
        Column("tracestate", Text, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        Column("sent_at", DateTime(timezone=True), nullable=True),
        Index(None, "position", postgresql_where=text("sent_at IS NULL")),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(200), nullable=False),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    chain_heads = Table(
        "event_chain_heads",
        metadata,
        Column("aggregate_id", String(200), primary_key=True),
        Column("aggregate_type", String(100), nullable=False),
        Column("last_seq", Integer, nullable=False),
        Column("last_hash", String(64), nullable=False),
    )
    return EventingTables(outbox, inbox, chain_heads)
