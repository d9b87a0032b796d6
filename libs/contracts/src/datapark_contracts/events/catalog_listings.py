"""Payloads published by catalog on ``catalog.listings.v1``.

Everything trading and rental need to know about what is on offer in the park reaches them as
these events; they never call catalog for it. Every payload carries a complete *snapshot* of
its aggregate after the fact (not a diff), so a consumer builds its own view by upserting the
snapshot it receives, keyed by the aggregate id, and ignoring anything older than the
``aggseq`` it already holds.

Aggregates and their Kafka keys (the key is always the aggregate id):

- ``data_product`` (key ``product_id``): a data product through registration (登记),
  compliance review (合规评估) and listing (挂牌) on one or more venues. Venue listings belong
  to the product's aggregate so that all of a product's events stay in order on one partition.
- ``robot_model`` (key ``model_id``), ``robot_unit`` (key ``unit_id``; maintenance windows
  belong to the unit), ``robot_kit`` (key ``kit_id``, a "robot container"),
  ``rental_offering`` (key ``offering_id``).

Money on the wire is an object ``{"amount": "12.00", "currency": "CNY"}`` with exactly two
decimal places; rates are decimal strings; periods are half-open ``[start, end)``; durations are
whole minutes.

A data product may be traded on a venue when the product's ``state == "listed"`` and that
venue listing's ``state == "listed"``; any other combination takes no new orders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from datapark_contracts.money import Money, Rate
from datapark_contracts.payloads import EventPayload, P, all_event_types, event
from datapark_contracts.topics import CATALOG_LISTINGS


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------------
# Data products
# --------------------------------------------------------------------------------------------


class DataDomain(StrEnum):
    """The park's key fields (the twelve of the 数据要素× action plan)."""

    INDUSTRIAL_MANUFACTURING = "industrial_manufacturing"
    MODERN_AGRICULTURE = "modern_agriculture"
    COMMERCE_AND_TRADE = "commerce_and_trade"
    TRANSPORTATION = "transportation"
    FINANCIAL_SERVICES = "financial_services"
    SCIENCE_AND_TECHNOLOGY = "science_and_technology"
    CULTURE_AND_TOURISM = "culture_and_tourism"
    HEALTHCARE = "healthcare"
    EMERGENCY_MANAGEMENT = "emergency_management"
    METEOROLOGY = "meteorology"
    URBAN_GOVERNANCE = "urban_governance"
    GREEN_AND_LOW_CARBON = "green_and_low_carbon"


class ProductForm(StrEnum):
    DATASET = "dataset"
    API_SERVICE = "api_service"
    REPORT = "report"
    MODEL_OUTPUT = "model_output"


class DataClassification(StrEnum):
    """一般数据 general / 重要数据 important / 核心数据 core (core is never listed)."""

    GENERAL = "general"
    IMPORTANT = "important"
    CORE = "core"


class Provenance(StrEnum):
    """How the owner obtained the data."""

    COLLECTED = "collected"
    GENERATED = "generated"
    PURCHASED = "purchased"
    LICENSED = "licensed"


class DataProductState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    REGISTERED = "registered"
    REJECTED = "rejected"
    LISTED = "listed"
    SUSPENDED = "suspended"
    DELISTED = "delisted"
    RETIRED = "retired"


class VenueListingState(StrEnum):
    LISTED = "listed"
    SUSPENDED = "suspended"
    DELISTED = "delisted"


class SubscriptionPeriod(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class MeteredUnit(StrEnum):
    CALL = "call"
    RECORD = "record"
    MB = "mb"


class FixedPrice(_Frozen):
    """A one-off price for the product."""

    kind: Literal["fixed"] = "fixed"
    price: Money


class SubscriptionPrice(_Frozen):
    """A price per period of access."""

    kind: Literal["subscription"] = "subscription"
    price_per_period: Money
    period: SubscriptionPeriod


class MeteredPrice(_Frozen):
    """A price per call, per record or per MB, optionally capped per calendar month."""

    kind: Literal["metered"] = "metered"
    unit: MeteredUnit
    unit_price: Money
    monthly_maximum: Money | None = None


class NegotiablePrice(_Frozen):
    """Request for quote; an indicative price may be shown."""

    kind: Literal["negotiable"] = "negotiable"
    indicative_price: Money | None = None


PriceTerms = Annotated[
    FixedPrice | SubscriptionPrice | MeteredPrice | NegotiablePrice,
    Field(discriminator="kind"),
]


class RegistrationCertificate(_Frozen):
    """The certificate issued on registration (登记证书)."""

    number: str
    owner_participant_id: UUID
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    """sha256 (hex) of the canonical JSON (RFC 8785) of the metadata and the sample's hash."""
    issued_at: AwareDatetime


class ComplianceReview(_Frozen):
    """An operator's compliance review (合规评估) with its evidence."""

    reviewer_id: UUID
    decision: Literal["approved", "rejected"]
    reasons: tuple[str, ...]
    document_hashes: tuple[str, ...]
    reviewed_at: AwareDatetime


class VenueListing(_Frozen):
    """A product's listing on one venue (exchange), with its own state and price terms."""

    listing_id: UUID
    venue_code: str
    venue_name: str
    venue_fee_rate: Rate
    """The venue's fee on each trade, a fraction of the price."""
    reference: str
    """The venue's own reference number (挂牌编号) for this listing."""
    state: VenueListingState
    price_terms: PriceTerms
    listed_at: AwareDatetime


class DataProductSnapshot(EventPayload):
    """The whole data product as it stands after the fact, with all its venue listings."""

    product_id: UUID
    owner_participant_id: UUID
    title: str
    description: str
    keywords: tuple[str, ...]
    domain: DataDomain
    product_form: ProductForm
    classification: DataClassification
    personal_information: bool
    legal_basis: str | None
    provenance: Provenance
    update_frequency: str
    format: str
    license: str
    temporal_coverage_start: date | None = None
    temporal_coverage_end: date | None = None
    spatial_coverage: str | None = None
    state: DataProductState
    certificate: RegistrationCertificate | None = None
    listings: tuple[VenueListing, ...] = ()
    occurred_at: AwareDatetime

    def aggregate_id(self) -> str:
        return str(self.product_id)


def _product(event_type: str) -> Callable[[P], P]:
    return event(event_type, topic=CATALOG_LISTINGS, aggregate="data_product")


@_product("datapark.catalog.data_product.drafted.v1")
class DataProductDrafted(DataProductSnapshot):
    """An owner described a new data product (not yet submitted)."""


@_product("datapark.catalog.data_product.revised.v1")
class DataProductRevised(DataProductSnapshot):
    """A draft's metadata changed, or a rejected product went back to draft."""


@_product("datapark.catalog.data_product.submitted.v1")
class DataProductSubmitted(DataProductSnapshot):
    """The owner submitted the product for registration (登记)."""


@_product("datapark.catalog.data_product.review_started.v1")
class DataProductReviewStarted(DataProductSnapshot):
    """An operator took up the compliance review (合规评估)."""

    reviewer_id: UUID


@_product("datapark.catalog.data_product.registered.v1")
class DataProductRegistered(DataProductSnapshot):
    """Approved in review; ``certificate`` holds the registration certificate."""

    review: ComplianceReview


@_product("datapark.catalog.data_product.rejected.v1")
class DataProductRejected(DataProductSnapshot):
    """Rejected in review, with the reasons and evidence."""

    review: ComplianceReview


class _VenueFact(DataProductSnapshot):
    venue_code: str
    """The venue whose listing the fact concerns; find it in ``listings``."""


@_product("datapark.catalog.data_product.listed.v1")
class DataProductListed(_VenueFact):
    """Listed on a venue (the first listing moves the product to ``listed``)."""


@_product("datapark.catalog.data_product.listing_terms_changed.v1")
class DataProductListingTermsChanged(_VenueFact):
    """A venue listing's price terms changed (running agreements keep theirs)."""


@_product("datapark.catalog.data_product.listing_suspended.v1")
class DataProductListingSuspended(_VenueFact):
    """One venue listing suspended: that venue takes no new orders."""

    reason: str


@_product("datapark.catalog.data_product.listing_resumed.v1")
class DataProductListingResumed(_VenueFact):
    """A suspended venue listing is live again."""


@_product("datapark.catalog.data_product.listing_delisted.v1")
class DataProductListingDelisted(_VenueFact):
    """Delisted from one venue (the last venue delisted moves the product to ``delisted``)."""

    reason: str


@_product("datapark.catalog.data_product.suspended.v1")
class DataProductSuspended(DataProductSnapshot):
    """Suspended everywhere: no venue takes new orders until reinstated."""

    reason: str


@_product("datapark.catalog.data_product.reinstated.v1")
class DataProductReinstated(DataProductSnapshot):
    """A suspended product is listed again (on its venues that are themselves listed)."""


@_product("datapark.catalog.data_product.delisted.v1")
class DataProductDelisted(DataProductSnapshot):
    """Delisted from every venue; running agreements follow their own terms."""

    reason: str


@_product("datapark.catalog.data_product.retired.v1")
class DataProductRetired(DataProductSnapshot):
    """The product is withdrawn for good."""


# --------------------------------------------------------------------------------------------
# Robot fleet
# --------------------------------------------------------------------------------------------


class RobotCategory(StrEnum):
    INDUSTRIAL_ARM = "industrial_arm"
    COLLABORATIVE_ARM = "collaborative_arm"
    AMR = "amr"
    HUMANOID = "humanoid"
    SURGICAL = "surgical"
    INSPECTION_DRONE = "inspection_drone"
    SERVICE = "service"
    OTHER = "other"


class RobotUnitStatus(StrEnum):
    AVAILABLE = "available"
    IN_MAINTENANCE = "in_maintenance"
    OUT_OF_SERVICE = "out_of_service"
    RETIRED = "retired"


SpecValue = str | int | float | bool


def _fleet(event_type: str, aggregate: str) -> Callable[[P], P]:
    return event(event_type, topic=CATALOG_LISTINGS, aggregate=aggregate)


class RobotModelSnapshot(EventPayload):
    """A robot model (maker, category, specs) as it stands after the fact."""

    model_id: UUID
    maker: str
    name: str
    category: RobotCategory
    specs: dict[str, SpecValue]
    occurred_at: AwareDatetime

    def aggregate_id(self) -> str:
        return str(self.model_id)


@_fleet("datapark.catalog.robot_model.registered.v1", "robot_model")
class RobotModelRegistered(RobotModelSnapshot):
    """A robot model became known to the park."""


@_fleet("datapark.catalog.robot_model.changed.v1", "robot_model")
class RobotModelChanged(RobotModelSnapshot):
    """A model's description or specs changed."""


class RobotUnitSnapshot(EventPayload):
    """A physical unit owned by a lessor, with its straight-line appraisal as of the event."""

    unit_id: UUID
    model_id: UUID
    category: RobotCategory
    maker: str
    model_name: str
    serial_number: str
    lessor_participant_id: UUID
    acquisition_cost: Money
    acquired_on: date
    salvage_value: Money
    useful_life_months: int = Field(gt=0)
    appraised_value: Money
    appraised_on: date
    location: str
    status: RobotUnitStatus
    occurred_at: AwareDatetime

    def aggregate_id(self) -> str:
        return str(self.unit_id)


@_fleet("datapark.catalog.robot_unit.registered.v1", "robot_unit")
class RobotUnitRegistered(RobotUnitSnapshot):
    """A lessor registered a unit."""


@_fleet("datapark.catalog.robot_unit.changed.v1", "robot_unit")
class RobotUnitChanged(RobotUnitSnapshot):
    """Location, status or appraisal changed; ``changed_fields`` names what moved."""

    changed_fields: tuple[str, ...]


class _MaintenanceFact(EventPayload):
    window_id: UUID
    unit_id: UUID
    start: AwareDatetime
    end: AwareDatetime
    """A half-open period ``[start, end)`` during which the unit cannot be booked."""
    reason: str
    occurred_at: AwareDatetime

    def aggregate_id(self) -> str:
        return str(self.unit_id)


@_fleet("datapark.catalog.robot_unit.maintenance_scheduled.v1", "robot_unit")
class MaintenanceWindowScheduled(_MaintenanceFact):
    """A maintenance window blocks the unit like a booking."""


@_fleet("datapark.catalog.robot_unit.maintenance_cancelled.v1", "robot_unit")
class MaintenanceWindowCancelled(_MaintenanceFact):
    """A maintenance window no longer blocks the unit."""


class RobotKitSnapshot(EventPayload):
    """A robot container (机器人集装箱): a named set of one lessor's units rented as one line."""

    kit_id: UUID
    lessor_participant_id: UUID
    name: str
    description: str
    unit_ids: tuple[UUID, ...] = Field(min_length=1)
    occurred_at: AwareDatetime

    def aggregate_id(self) -> str:
        return str(self.kit_id)


@_fleet("datapark.catalog.robot_kit.registered.v1", "robot_kit")
class RobotKitRegistered(RobotKitSnapshot):
    """A lessor assembled a kit."""


@_fleet("datapark.catalog.robot_kit.changed.v1", "robot_kit")
class RobotKitChanged(RobotKitSnapshot):
    """A kit's name, description or units changed."""


# --------------------------------------------------------------------------------------------
# Rental offerings
# --------------------------------------------------------------------------------------------


class RentalMode(StrEnum):
    SHORT_TERM = "short_term"
    LONG_TERM = "long_term"
    FINANCING_LEASE = "financing_lease"
    SERVICE_LEASE = "service_lease"
    ROBOT_CONTAINER = "robot_container"


class OfferingTargetKind(StrEnum):
    UNIT = "unit"
    KIT = "kit"


class RentalOfferingState(StrEnum):
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class UsageUnit(StrEnum):
    PROCEDURE = "procedure"
    HOUR = "hour"
    TASK = "task"


class RateCard(_Frozen):
    """Prices per hour, day, week and month; at least one is set."""

    hour: Money | None = None
    day: Money | None = None
    week: Money | None = None
    month: Money | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> RateCard:
        if self.hour is None and self.day is None and self.week is None and self.month is None:
            raise ValueError("a rate card needs at least one rate")
        return self


class ServiceTerms(_Frozen):
    """A service lease (服务租赁): a price per use with a monthly minimum."""

    usage_unit: UsageUnit
    price_per_use: Money
    monthly_minimum: Money


class CancellationTier(_Frozen):
    """Cancelling with at least ``notice_minutes`` before the start costs ``fee_rate`` of the
    booking's price; tiers are sorted by notice descending, and a cancellation with less notice
    than every tier pays the last tier's rate."""

    notice_minutes: int = Field(ge=0)
    fee_rate: Rate


class RentalOfferingSnapshot(EventPayload):
    """What a lessor offers for one unit or one kit, as it stands after the fact."""

    offering_id: UUID
    lessor_participant_id: UUID
    title: str
    target_kind: OfferingTargetKind
    unit_id: UUID | None
    kit_id: UUID | None
    unit_ids: tuple[UUID, ...] = Field(min_length=1)
    """Every unit a booking of this offering holds (the unit itself, or all units of the kit)."""
    category: RobotCategory
    modes: tuple[RentalMode, ...] = Field(min_length=1)
    rate_card: RateCard
    deposit: Money
    min_duration_minutes: int = Field(gt=0)
    max_duration_minutes: int | None = Field(default=None, gt=0)
    turnaround_before_minutes: int = Field(ge=0)
    turnaround_after_minutes: int = Field(ge=0)
    service_terms: ServiceTerms | None = None
    cancellation_policy: tuple[CancellationTier, ...] = ()
    late_fee_per_hour: Money | None = None
    available_from: AwareDatetime
    available_until: AwareDatetime | None = None
    """The offering's validity ``[available_from, available_until)``; open-ended when None."""
    location: str
    state: RentalOfferingState
    occurred_at: AwareDatetime

    def aggregate_id(self) -> str:
        return str(self.offering_id)


@_fleet("datapark.catalog.rental_offering.published.v1", "rental_offering")
class RentalOfferingPublished(RentalOfferingSnapshot):
    """An offering is open for bookings and lease applications."""


@_fleet("datapark.catalog.rental_offering.changed.v1", "rental_offering")
class RentalOfferingChanged(RentalOfferingSnapshot):
    """An offering's terms changed (existing bookings keep theirs)."""


@_fleet("datapark.catalog.rental_offering.withdrawn.v1", "rental_offering")
class RentalOfferingWithdrawn(RentalOfferingSnapshot):
    """An offering takes no new bookings."""

    reason: str


def catalog_listing_events() -> dict[str, type[EventPayload]]:
    """Every payload on ``catalog.listings.v1``, by CloudEvents type."""
    return {
        name: model for name, model in all_event_types().items() if model.topic == CATALOG_LISTINGS
    }
