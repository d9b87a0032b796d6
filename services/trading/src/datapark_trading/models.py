"""Every table of trading, imported in one place for Alembic and tests."""

from datapark_trading.agreements.models import AgreementRow
from datapark_trading.dsp.models import DspNegotiationRow, DspTransferRow
from datapark_trading.listings.models import Listing
from datapark_trading.negotiations.models import NegotiationRow, OfferRow
from datapark_trading.orders.models import Order
from datapark_trading.partners.models import PartnerMember
from datapark_trading.settlement.models import (
    AccountRow,
    EscrowLockRow,
    LedgerEntryRow,
    LedgerTransactionRow,
)
from datapark_trading.tables import EVENTING, IDEMPOTENCY, PARTICIPANTS, Base
from datapark_trading.transfers.models import TransferRow, UsageMeterRow, UsageRecordRow
from datapark_trading.webhooks.models import (
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookSubscriptionRow,
)

__all__ = [
    "EVENTING",
    "IDEMPOTENCY",
    "PARTICIPANTS",
    "AccountRow",
    "AgreementRow",
    "Base",
    "DspNegotiationRow",
    "DspTransferRow",
    "EscrowLockRow",
    "LedgerEntryRow",
    "LedgerTransactionRow",
    "Listing",
    "NegotiationRow",
    "OfferRow",
    "Order",
    "PartnerMember",
    "TransferRow",
    "UsageMeterRow",
    "UsageRecordRow",
    "WebhookAttemptRow",
    "WebhookDeliveryRow",
    "WebhookSubscriptionRow",
]
