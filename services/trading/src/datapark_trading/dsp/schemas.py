"""Request and response models of the members' DSP endpoints (``/v1/dsp``)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from datapark_kit.schemas import RequestModel
from datapark_trading.dsp.messages import PULL_FORMAT


class NegotiationStart(RequestModel):
    """Negotiate over DSP with a partner's provider connector for a dataset listed on datapark."""

    connector_address: str = Field(min_length=8, max_length=2000)
    dataset_id: str = Field(min_length=1, max_length=2000, description="the listing id")
    offer_id: str = Field(min_length=1, max_length=2000, description="the provider's offer id")


class TransferStart(RequestModel):
    """Ask a partner's provider connector for delivery under an agreement, over DSP."""

    agreement_id: uuid.UUID
    connector_address: str = Field(min_length=8, max_length=2000)
    format: str = Field(default=PULL_FORMAT, max_length=200)


class Started(BaseModel):
    id: uuid.UUID
    state: str


class DataAddressOut(BaseModel):
    transfer_id: uuid.UUID
    data_address: dict[str, Any] | None
