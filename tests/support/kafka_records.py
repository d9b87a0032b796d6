"""A stand-in for aiokafka's ``ConsumerRecord`` in tests that hand readers records they built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Rec:
    """The fields a datapark reader takes from a consumed Kafka record."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Any
    timestamp: int = 1_772_323_200_000
