"""Request and response models of orders."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from datapark_contracts.money import Money
from datapark_kit.schemas import RequestModel
from datapark_trading.contracting.schemas import AGREEMENT_EXAMPLE, AgreementOut
from datapark_trading.orders.models import Order


class PolicyRequest(RequestModel):
    """The usage the buyer asks for (the listing fixes the price, the order the use)."""

    purpose: str = Field(min_length=1, max_length=500)
    permitted_uses: list[str] = Field(min_length=1)
    territory: list[str] = Field(min_length=1)
    duration_seconds: int | None = Field(
        default=None,
        ge=1,
        le=3660 * 86_400,
        description="how long the use is granted (seconds); the pricing's default if absent",
    )
    max_calls: int | None = Field(default=None, ge=1, le=2**31 - 1)  # an integer column
    max_records: int | None = Field(default=None, ge=1, le=2**31 - 1)  # an integer column
    on_delisting: Literal["continue", "suspend", "terminate"] = "continue"


class OrderCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "listing_id": "0192f1c4-7a3e-7c21-9d1e-5b0c6f3a2e11",
                    "policy": {
                        "purpose": "predictive maintenance model",
                        "permitted_uses": ["analytics", "model_training"],
                        "territory": ["CN"],
                    },
                }
            ]
        }
    )

    listing_id: uuid.UUID
    policy: PolicyRequest
    periods: int | None = Field(default=None, ge=1, le=120, description="subscription periods")
    budget: Money | None = Field(
        default=None, description="metered: the amount locked in escrow for use (more than 0)"
    )

    @field_validator("budget")
    @classmethod
    def _positive(cls, budget: Money | None) -> Money | None:
        if budget is not None and budget.amount <= 0:
            raise ValueError("a budget is more than 0.00")
        return budget


class OrderOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a7e1-5b6c-7d8e-9f0a-1b2c3d4e5f60",
                    "listing_id": AGREEMENT_EXAMPLE["listing_id"],
                    "consumer_id": AGREEMENT_EXAMPLE["consumer_id"],
                    "provider_id": AGREEMENT_EXAMPLE["provider_id"],
                    "placed_by": AGREEMENT_EXAMPLE["consumer_id"],
                    "pricing_kind": "fixed",
                    "agreement": AGREEMENT_EXAMPLE
                    | {"origin": "order", "origin_id": "0193a7e1-5b6c-7d8e-9f0a-1b2c3d4e5f60"},
                }
            ]
        }
    )

    id: uuid.UUID
    listing_id: uuid.UUID
    consumer_id: uuid.UUID
    provider_id: uuid.UUID
    placed_by: uuid.UUID
    pricing_kind: str
    agreement: AgreementOut

    @classmethod
    def of(cls, order: Order, agreement: AgreementOut) -> OrderOut:
        """An order as stored, with the agreement it concluded."""
        columns = {name: getattr(order, name) for name in cls.model_fields if name != "agreement"}
        return cls.model_validate(columns | {"agreement": agreement})
