"""catalog's declarative base and the shared tables in its ``catalog`` schema."""

from sqlalchemy.orm import DeclarativeBase

from datapark_eventing.outbox import Outbox
from datapark_eventing.tables import eventing_tables
from datapark_kit.db import service_metadata
from datapark_kit.idempotency import idempotency_table

SCHEMA = "catalog"


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)


EVENTING = eventing_tables(Base.metadata)
IDEMPOTENCY = idempotency_table(Base.metadata)
OUTBOX = Outbox(EVENTING, "catalog")
