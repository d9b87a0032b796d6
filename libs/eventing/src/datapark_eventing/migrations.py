"""The platform tables that every service's first migration creates in its own schema.

Frozen as version 1: a later change to these tables is a new function called from a new
revision, never an edit here, so that old revisions keep describing what they created.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def create_platform_tables_v1(schema: str, *, participant_projection: bool) -> None:
    """Outbox, inbox, event chain heads and idempotency keys (and, for the services that
    consume catalog's participants, their projection)."""
    op.create_table(
        "event_chain_heads",
        sa.Column("aggregate_id", sa.String(length=200), nullable=False),
        sa.Column("aggregate_type", sa.String(length=100), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("aggregate_id", name=op.f("pk_event_chain_heads")),
        schema=schema,
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("response_headers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_idempotency_keys")),
        schema=schema,
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column(
            "handled_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_inbox")),
        schema=schema,
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.UUID(), nullable=False, comment="the event id (UUIDv7)"),
        sa.Column("position", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column(
            "subject", sa.String(length=200), nullable=False, comment="aggregate id = Kafka key"
        ),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False, comment="the exact JSON record value"),
        sa.Column("aggseq", sa.Integer(), nullable=False),
        sa.Column("prevhash", sa.String(length=64), nullable=False),
        sa.Column("eventhash", sa.String(length=64), nullable=False),
        sa.Column("dataschema", sa.Text(), nullable=False),
        sa.Column("traceparent", sa.Text(), nullable=True),
        sa.Column("tracestate", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("position", name=op.f("uq_outbox_position")),
        schema=schema,
    )
    op.create_index(
        op.f(f"ix_{schema}_outbox_position"),
        "outbox",
        ["position"],
        unique=False,
        schema=schema,
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    if participant_projection:
        op.create_table(
            "participants",
            sa.Column("id", sa.UUID(), nullable=False),
            sa.Column("name", sa.String(length=200), nullable=False),
            sa.Column("kind", sa.String(length=20), nullable=False),
            sa.Column("uscc", sa.String(length=18), nullable=True),
            sa.Column("region_code", sa.String(length=6), nullable=False),
            sa.Column("operating_region_code", sa.String(length=6), nullable=True),
            sa.Column("roles", sa.ARRAY(sa.Text()), nullable=False),
            sa.Column("park_member", sa.Boolean(), nullable=False),
            sa.Column("group_id", sa.String(length=100), nullable=True),
            sa.Column("status", sa.String(length=20), nullable=False),
            sa.Column("aggseq", sa.Integer(), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_participants")),
            schema=schema,
        )


def drop_platform_tables_v1(schema: str, *, participant_projection: bool) -> None:
    if participant_projection:
        op.drop_table("participants", schema=schema)
    op.drop_index(
        op.f(f"ix_{schema}_outbox_position"),
        table_name="outbox",
        schema=schema,
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.drop_table("outbox", schema=schema)
    op.drop_table("inbox", schema=schema)
    op.drop_table("idempotency_keys", schema=schema)
    op.drop_table("event_chain_heads", schema=schema)


AUDIT_READER_ROLE = "datapark_audit_reader"


def grant_audit_reader_v1(schema: str) -> None:
    """The auditors' read-only role: SELECT on every table of ``schema``, now and created later
    by this migrating role, and nothing else (``datapark-audit rebuild --compare``).

    The role has no login: an operator grants it to each auditor's own login role. It is
    created here when missing, which needs CREATEROLE for the migrating role (the local stack
    has it; in production a DBA may create the role beforehand, then it is only granted to).
    """
    op.execute(
        f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{AUDIT_READER_ROLE}') THEN
    CREATE ROLE {AUDIT_READER_ROLE} NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object THEN NULL;  -- another database's migration created it first
END $$"""
    )
    op.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {AUDIT_READER_ROLE}')
    op.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {AUDIT_READER_ROLE}')
    op.execute(
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" '
        f"GRANT SELECT ON TABLES TO {AUDIT_READER_ROLE}"
    )


def revoke_audit_reader_v1(schema: str) -> None:
    """Undo :func:`grant_audit_reader_v1` for ``schema`` (the role stays: other schemas and
    databases may still grant to it)."""
    op.execute(
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" '  # noqa: S608 - our schema names
        f"REVOKE SELECT ON TABLES FROM {AUDIT_READER_ROLE}"
    )
    op.execute(f'REVOKE SELECT ON ALL TABLES IN SCHEMA "{schema}" FROM {AUDIT_READER_ROLE}')  # noqa: S608
    op.execute(f'REVOKE USAGE ON SCHEMA "{schema}" FROM {AUDIT_READER_ROLE}')
