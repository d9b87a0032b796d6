"""Data product metadata, lifecycle (every allowed and every forbidden step), certificate and
compliance review evidence."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from datapark_catalog.products.registration import (
    ComplianceReview,
    ProductMetadata,
    ReviewDecision,
    certificate_number,
    content_hash,
    ensure_listable,
    issue_certificate,
    metadata_document,
    review_action,
    validate_metadata,
    validate_review,
)
from datapark_catalog.products.states import TRANSITIONS, ProductAction, transition
from datapark_contracts.events.catalog_listings import (
    DataClassification,
    DataDomain,
    DataProductState,
    ProductForm,
    Provenance,
)
from datapark_kit.errors import InvalidState, Unprocessable

S = DataProductState
A = ProductAction
SHA = "a" * 64
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def metadata(**changes: object) -> ProductMetadata:
    base = ProductMetadata(
        title="Stamping line vibration telemetry 2025",
        description="Per-second vibration and temperature of 40 presses.",
        keywords=("vibration", "predictive maintenance"),
        domain=DataDomain.INDUSTRIAL_MANUFACTURING,
        product_form=ProductForm.DATASET,
        classification=DataClassification.GENERAL,
        personal_information=False,
        legal_basis=None,
        provenance=Provenance.COLLECTED,
        provenance_detail="",
        update_frequency="daily",
        format="parquet",
        license="datapark-standard-1.0",
        contact="data@press.example",
        temporal_coverage_start=date(2025, 1, 1),
        temporal_coverage_end=date(2025, 12, 31),
        sample_sha256=SHA,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- lifecycle ---------------------------------------------------------------------------------

ALLOWED = [
    (S.DRAFT, A.EDIT, S.DRAFT),
    (S.DRAFT, A.SUBMIT, S.SUBMITTED),
    (S.SUBMITTED, A.START_REVIEW, S.UNDER_REVIEW),
    (S.UNDER_REVIEW, A.APPROVE, S.REGISTERED),
    (S.UNDER_REVIEW, A.REJECT, S.REJECTED),
    (S.REJECTED, A.REVISE, S.DRAFT),
    (S.REGISTERED, A.LIST, S.LISTED),
    (S.LISTED, A.LIST, S.LISTED),
    (S.LISTED, A.SUSPEND, S.SUSPENDED),
    (S.SUSPENDED, A.REINSTATE, S.LISTED),
    (S.LISTED, A.DELIST, S.DELISTED),
    (S.SUSPENDED, A.DELIST, S.DELISTED),
    (S.DRAFT, A.RETIRE, S.RETIRED),
    (S.REJECTED, A.RETIRE, S.RETIRED),
    (S.REGISTERED, A.RETIRE, S.RETIRED),
    (S.DELISTED, A.RETIRE, S.RETIRED),
]


@pytest.mark.parametrize(("state", "action", "after"), ALLOWED)
def test_each_allowed_transition(state: S, action: A, after: S) -> None:
    assert transition(state, action) is after


def test_the_table_is_exactly_the_documented_lifecycle() -> None:
    assert {(s, a): t for s, a, t in ALLOWED} == TRANSITIONS


FORBIDDEN = [(s, a) for s in S for a in A if (s, a) not in TRANSITIONS]


@pytest.mark.parametrize(("state", "action"), FORBIDDEN)
def test_each_forbidden_transition_is_409_naming_the_state(state: S, action: A) -> None:
    with pytest.raises(InvalidState) as caught:
        transition(state, action)
    assert caught.value.status == 409
    assert caught.value.extra["state"] == state.value
    assert caught.value.extra["action"] == action.value
    assert f"'{state.value}'" in caught.value.detail


def test_forbidden_steps_include_the_ones_that_matter() -> None:
    # spot checks the parametrised sweep must contain
    assert (S.DRAFT, A.LIST) in FORBIDDEN
    assert (S.REJECTED, A.LIST) in FORBIDDEN
    assert (S.DELISTED, A.REINSTATE) in FORBIDDEN
    assert (S.LISTED, A.RETIRE) in FORBIDDEN
    assert all((S.RETIRED, a) in FORBIDDEN for a in A)
    assert len(FORBIDDEN) == len(S) * len(A) - len(ALLOWED)


def test_a_full_journey_to_retirement() -> None:
    state = S.DRAFT
    for action in (
        A.SUBMIT,
        A.START_REVIEW,
        A.APPROVE,
        A.LIST,
        A.SUSPEND,
        A.REINSTATE,
        A.DELIST,
        A.RETIRE,
    ):
        state = transition(state, action)
    assert state is S.RETIRED


# --- metadata ----------------------------------------------------------------------------------


def test_valid_metadata_passes() -> None:
    m = metadata()
    assert validate_metadata(m) is m


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": ""}, "description"),
        ({"keywords": ()}, "keywords"),
        ({"keywords": ("a", " A ")}, "keywords"),
        ({"keywords": ("a", " ")}, "keywords"),
        ({"keywords": tuple(f"k{i}" for i in range(21))}, "keywords"),
        ({"personal_information": True}, "legal_basis"),
        ({"personal_information": True, "legal_basis": "   "}, "legal_basis"),
        ({"provenance": Provenance.PURCHASED}, "provenance_detail"),
        ({"provenance": Provenance.LICENSED, "provenance_detail": " "}, "provenance_detail"),
        ({"license": ""}, "license"),
        ({"contact": ""}, "contact"),
        ({"temporal_coverage_end": date(2024, 12, 31)}, "temporal_coverage_end"),
        ({"sample_sha256": "ABC"}, "sample_sha256"),
    ],
)
def test_bad_metadata_is_422_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_metadata(metadata(**changes))
    assert caught.value.status == 422
    assert caught.value.extra["errors"][0]["field"] == field


def test_personal_information_with_a_legal_basis_passes() -> None:
    m = metadata(personal_information=True, legal_basis="PIPL art. 13(1): consent")
    assert validate_metadata(m) is m


def test_core_data_is_never_listable_but_important_is() -> None:
    with pytest.raises(Unprocessable) as caught:
        ensure_listable(DataClassification.CORE)
    assert caught.value.extra["errors"][0]["field"] == "classification"
    ensure_listable(DataClassification.IMPORTANT)
    ensure_listable(DataClassification.GENERAL)


# --- certificate -------------------------------------------------------------------------------


def test_content_hash_is_sha256_of_rfc8785_canonical_json() -> None:
    m = metadata(title="数据 é")
    document = {"metadata": metadata_document(m), "sample_sha256": SHA}
    # RFC 8785 for this document: sorted keys, no whitespace, UTF-8 as is.
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert content_hash(m) == hashlib.sha256(canonical.encode()).hexdigest()


def test_content_hash_changes_with_metadata_and_sample() -> None:
    base = content_hash(metadata())
    assert content_hash(metadata(title="Another title")) != base
    assert content_hash(metadata(sample_sha256="b" * 64)) != base
    assert content_hash(metadata()) == base


def test_issue_certificate() -> None:
    product_id, owner = uuid4(), uuid4()
    cert = issue_certificate(product_id, owner, metadata(), issued_at=NOW, sequence=42)
    assert cert.number == "DPR-20260301-000042"
    assert cert.owner_participant_id == owner
    assert cert.product_id == product_id
    assert cert.content_hash == content_hash(metadata())
    assert cert.issued_at == NOW


def test_certificate_needs_aware_time_and_positive_sequence() -> None:
    with pytest.raises(ValueError, match="aware"):
        issue_certificate(uuid4(), uuid4(), metadata(), issued_at=datetime(2026, 1, 1), sequence=1)
    with pytest.raises(ValueError, match="start at 1"):
        certificate_number(NOW, 0)


# --- compliance review -------------------------------------------------------------------------


def review(**changes: object) -> ComplianceReview:
    base = ComplianceReview(
        reviewer_id=uuid4(),
        decision=ReviewDecision.APPROVED,
        reasons=(),
        document_hashes=(SHA, "b" * 64),
        reviewed_at=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_approval_with_evidence_passes_and_maps_to_approve() -> None:
    r = review()
    assert validate_review(r, metadata()) is r
    assert review_action(r.decision) is A.APPROVE
    assert review_action(ReviewDecision.REJECTED) is A.REJECT


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"document_hashes": ()}, "document_hashes"),
        ({"document_hashes": ("zz",)}, "document_hashes[0]"),
        ({"document_hashes": (SHA, SHA)}, "document_hashes"),
        ({"decision": ReviewDecision.REJECTED}, "reasons"),
        ({"decision": ReviewDecision.REJECTED, "reasons": (" ",)}, "reasons"),
    ],
)
def test_bad_evidence_is_422(changes: dict[str, object], field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_review(review(**changes), metadata())
    assert caught.value.extra["errors"][0]["field"] == field


def test_rejection_with_reasons_passes() -> None:
    r = review(decision=ReviewDecision.REJECTED, reasons=("no proof of collection consent",))
    assert validate_review(r, metadata()) is r


def test_approval_of_personal_information_without_legal_basis_is_refused() -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_review(review(), metadata(personal_information=True))
    assert caught.value.extra["errors"][0]["field"] == "legal_basis"
