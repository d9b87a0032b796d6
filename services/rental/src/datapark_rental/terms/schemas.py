"""Wire types shared by rental's request and response bodies."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema

Money = Annotated[
    Decimal,
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$"}),
]
"""An amount in CNY as a decimal string with two places."""

Ratio = Annotated[
    Decimal,
    PlainSerializer(lambda d: str(d), return_type=str),
    WithJsonSchema({"type": "string"}),
]
"""A rate or ratio as a decimal string."""
