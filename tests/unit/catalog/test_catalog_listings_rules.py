"""Venue listings: price terms, per-venue states and how they move the product's state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from datapark_catalog.listings.pricing import (
    DEFAULT_VENUES,
    FixedPrice,
    MeteredPrice,
    NegotiablePrice,
    PriceKind,
    PriceTerms,
    SubscriptionPrice,
    Venue,
    headline_price,
    price_kind,
    validate_price_terms,
    validate_venue,
)
from datapark_catalog.listings.search import (
    Cursor,
    ListingKind,
    SearchFilter,
    decode_cursor,
    encode_cursor,
    validate_filter,
)
from datapark_catalog.listings.states import (
    LISTING_TRANSITIONS,
    ListingAction,
    VenueListing,
    delist_everywhere,
    is_tradeable,
    list_on_venue,
    listing_reference,
    listing_transition,
    step_listing,
)
from datapark_contracts.events.catalog_listings import (
    DataClassification,
    DataDomain,
    DataProductState,
    MeteredUnit,
    RobotCategory,
    SubscriptionPeriod,
    VenueListingState,
)
from datapark_kit.errors import Conflict, InvalidState, Unprocessable

D = Decimal
P = DataProductState
L = VenueListingState
NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)


def field_of(exc: pytest.ExceptionInfo[Unprocessable]) -> str:
    return str(exc.value.extra["errors"][0]["field"])


def listing(
    venue: str = "BJIDE", state: L = L.LISTED, terms: PriceTerms | None = None
) -> VenueListing:
    return VenueListing(uuid4(), venue, f"{venue}-1", state, terms or FixedPrice(D("999")), NOW)


# --- venues and price terms ----------------------------------------------------------------------


def test_the_three_venues_are_valid_data() -> None:
    assert [v.code for v in DEFAULT_VENUES] == ["BJIDE", "SZDE", "GSDE"]
    for venue in DEFAULT_VENUES:
        assert validate_venue(venue) is venue
    for bad, field in (
        (Venue("bj", "x", "x", D(0)), "code"),
        (Venue("BJ", " ", "x", D(0)), "name"),
        (Venue("BJ", "x", "x", D("1.2")), "fee_rate"),
    ):
        with pytest.raises(Unprocessable) as caught:
            validate_venue(bad)
        assert field_of(caught) == field


@pytest.mark.parametrize(
    ("terms", "kind", "headline"),
    [
        (FixedPrice(D("5000")), PriceKind.FIXED, D("5000.00")),
        (SubscriptionPrice(D("800"), SubscriptionPeriod.MONTH), PriceKind.SUBSCRIPTION, D("800")),
        (MeteredPrice(MeteredUnit.CALL, D("0.05"), D("3000")), PriceKind.METERED, D("0.05")),
        (MeteredPrice(MeteredUnit.MB, D("1.20")), PriceKind.METERED, D("1.20")),
        (NegotiablePrice(), PriceKind.NEGOTIABLE, None),
        (NegotiablePrice(D("100000")), PriceKind.NEGOTIABLE, D("100000")),
    ],
)
def test_price_forms(terms: PriceTerms, kind: PriceKind, headline: Decimal | None) -> None:
    checked = validate_price_terms(terms)
    assert price_kind(checked) is kind
    assert headline_price(checked) == headline


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        (FixedPrice(D("-1")), "price_terms.price"),
        (FixedPrice(D(0)), "price_terms.price"),
        (FixedPrice(D("1.001")), "price_terms.price"),
        (SubscriptionPrice(D("NaN"), SubscriptionPeriod.YEAR), "price_terms.price_per_period"),
        (MeteredPrice(MeteredUnit.CALL, D("0.005")), "price_terms.unit_price"),
        (MeteredPrice(MeteredUnit.CALL, D("1"), D("-3")), "price_terms.monthly_maximum"),
        (MeteredPrice(MeteredUnit.RECORD, D("10"), D("5")), "price_terms.monthly_maximum"),
        (NegotiablePrice(D("Infinity")), "price_terms.indicative_price"),
    ],
)
def test_bad_price_terms_are_422_naming_the_field(terms: PriceTerms, field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_price_terms(terms)
    assert field_of(caught) == field


# --- listing on venues ---------------------------------------------------------------------------


def test_first_listing_moves_a_registered_product_to_listed() -> None:
    out = list_on_venue(P.REGISTERED, DataClassification.GENERAL, [], listing())
    assert out.product_state is P.LISTED
    assert out.listing.state is L.LISTED


def test_one_product_on_several_venues_each_with_its_own_terms() -> None:
    bj = listing("BJIDE", terms=FixedPrice(D("5000")))
    sz = listing("SZDE", terms=MeteredPrice(MeteredUnit.CALL, D("0.10"), D("2000")))
    out = list_on_venue(P.LISTED, DataClassification.IMPORTANT, [bj], sz)
    assert out.product_state is P.LISTED
    assert out.listing.price_terms == MeteredPrice(MeteredUnit.CALL, D("0.10"), D("2000.00"))


def test_core_data_is_never_listed_whatever_the_state() -> None:
    for state in (P.REGISTERED, P.LISTED):
        with pytest.raises(Unprocessable) as caught:
            list_on_venue(state, DataClassification.CORE, [], listing())
        assert field_of(caught) == "classification"


@pytest.mark.parametrize("state", [s for s in P if s not in (P.REGISTERED, P.LISTED)])
def test_listing_from_any_other_state_is_409_naming_it(state: DataProductState) -> None:
    with pytest.raises(InvalidState) as caught:
        list_on_venue(state, DataClassification.GENERAL, [], listing())
    assert caught.value.extra["state"] == state.value


def test_a_second_live_listing_on_one_venue_is_409_but_after_delisting_is_fine() -> None:
    with pytest.raises(Conflict) as caught:
        list_on_venue(P.LISTED, DataClassification.GENERAL, [listing("SZDE")], listing("SZDE"))
    assert caught.value.code == "already_listed"
    gone = listing("SZDE", L.DELISTED)
    out = list_on_venue(P.LISTED, DataClassification.GENERAL, [gone], listing("SZDE"))
    assert out.listing.state is L.LISTED


def test_listing_needs_a_reference_and_valid_terms() -> None:
    with pytest.raises(Unprocessable) as caught:
        list_on_venue(
            P.REGISTERED, DataClassification.GENERAL, [], replace(listing(), reference=" ")
        )
    assert field_of(caught) == "reference"
    with pytest.raises(Unprocessable) as caught:
        list_on_venue(
            P.REGISTERED, DataClassification.GENERAL, [], listing(terms=FixedPrice(D("NaN")))
        )
    assert field_of(caught) == "price_terms.price"


def test_listing_reference() -> None:
    assert listing_reference(DEFAULT_VENUES[1], NOW, 7) == "SZDE-20260601-000007"


# --- venue listing lifecycle ---------------------------------------------------------------------

ALLOWED = {
    (L.LISTED, ListingAction.SUSPEND): L.SUSPENDED,
    (L.SUSPENDED, ListingAction.RESUME): L.LISTED,
    (L.LISTED, ListingAction.DELIST): L.DELISTED,
    (L.SUSPENDED, ListingAction.DELIST): L.DELISTED,
    (L.LISTED, ListingAction.CHANGE_TERMS): L.LISTED,
    (L.SUSPENDED, ListingAction.CHANGE_TERMS): L.SUSPENDED,
}


def test_listing_table_is_the_documented_one() -> None:
    assert ALLOWED == LISTING_TRANSITIONS
    for (state, action), after in ALLOWED.items():
        assert listing_transition(state, action) is after


@pytest.mark.parametrize(
    ("state", "action"),
    [(s, a) for s in L for a in ListingAction if (s, a) not in ALLOWED],
)
def test_each_forbidden_listing_step_is_409_naming_the_state(
    state: VenueListingState, action: ListingAction
) -> None:
    with pytest.raises(InvalidState) as caught:
        listing_transition(state, action)
    assert caught.value.extra["state"] == state.value


def test_suspend_and_resume_one_venue() -> None:
    bj, sz = listing("BJIDE"), listing("SZDE")
    out = step_listing(P.LISTED, [bj, sz], bj, ListingAction.SUSPEND)
    assert (out.listing.state, out.product_state) == (L.SUSPENDED, P.LISTED)
    assert not is_tradeable(out.product_state, out.listing)
    assert is_tradeable(P.LISTED, sz)
    back = step_listing(P.LISTED, [out.listing, sz], out.listing, ListingAction.RESUME)
    assert back.listing.state is L.LISTED


def test_a_suspended_product_cannot_resume_a_venue_and_trades_nowhere() -> None:
    bj = listing("BJIDE", L.SUSPENDED)
    with pytest.raises(InvalidState) as caught:
        step_listing(P.SUSPENDED, [bj], bj, ListingAction.RESUME)
    assert caught.value.extra["state"] == "suspended"
    assert not is_tradeable(P.SUSPENDED, listing("SZDE"))


def test_delisting_the_last_venue_delists_the_product() -> None:
    bj, sz = listing("BJIDE"), listing("SZDE")
    first = step_listing(P.LISTED, [bj, sz], bj, ListingAction.DELIST)
    assert (first.listing.state, first.product_state) == (L.DELISTED, P.LISTED)
    last = step_listing(P.LISTED, [first.listing, sz], sz, ListingAction.DELIST)
    assert (last.listing.state, last.product_state) == (L.DELISTED, P.DELISTED)


def test_change_terms_keeps_the_state_and_validates() -> None:
    bj = listing("BJIDE", L.SUSPENDED)
    out = step_listing(
        P.LISTED,
        [bj],
        bj,
        ListingAction.CHANGE_TERMS,
        SubscriptionPrice(D("99"), SubscriptionPeriod.QUARTER),
    )
    assert out.listing.state is L.SUSPENDED
    assert out.listing.price_terms == SubscriptionPrice(D("99.00"), SubscriptionPeriod.QUARTER)
    with pytest.raises(Unprocessable):
        step_listing(P.LISTED, [bj], bj, ListingAction.CHANGE_TERMS)
    with pytest.raises(Unprocessable):
        step_listing(P.LISTED, [bj], bj, ListingAction.CHANGE_TERMS, FixedPrice(D("-2")))


@pytest.mark.parametrize("state", [P.REGISTERED, P.DELISTED, P.RETIRED, P.DRAFT])
def test_venue_steps_need_a_listed_or_suspended_product(state: DataProductState) -> None:
    bj = listing()
    with pytest.raises(InvalidState) as caught:
        step_listing(state, [bj], bj, ListingAction.SUSPEND)
    assert caught.value.extra["state"] == state.value


def test_delist_everywhere() -> None:
    state, listings = delist_everywhere(
        P.SUSPENDED, [listing("BJIDE"), listing("SZDE", L.SUSPENDED)]
    )
    assert state is P.DELISTED
    assert {x.state for x in listings} == {L.DELISTED}
    with pytest.raises(InvalidState):
        delist_everywhere(P.REGISTERED, [])


# --- search filter and cursor --------------------------------------------------------------------


def test_cursor_round_trip_and_garbage() -> None:
    cursor = Cursor(NOW, uuid4())
    token = encode_cursor(cursor)
    assert "=" not in token
    assert decode_cursor(token) == cursor
    for bad in ("", "!!!", encode_cursor(cursor)[:-3], "eyJ0IjoxfQ"):
        with pytest.raises(Unprocessable) as caught:
            decode_cursor(bad)
        assert field_of(caught) == "cursor"


def test_filter_normalises() -> None:
    f = validate_filter(
        SearchFilter(
            domain=DataDomain.HEALTHCARE,
            venue=" szde ",
            text="  ",
            min_price=D("1"),
            max_price=D("2"),
        )
    )
    assert (f.venue, f.text, f.min_price) == ("SZDE", None, D("1.00"))


@pytest.mark.parametrize(
    ("f", "field"),
    [
        (SearchFilter(limit=0), "limit"),
        (SearchFilter(limit=101), "limit"),
        (SearchFilter(min_price=D("5"), max_price=D("4")), "min_price"),
        (SearchFilter(min_price=D("-5")), "min_price"),
        (SearchFilter(max_price=D("NaN")), "max_price"),
        (SearchFilter(kind=ListingKind.DATA_PRODUCT, category=RobotCategory.AMR), "category"),
        (SearchFilter(kind=ListingKind.RENTAL_OFFERING, venue="SZDE"), "venue"),
        (SearchFilter(kind=ListingKind.RENTAL_OFFERING, domain=DataDomain.HEALTHCARE), "domain"),
        (SearchFilter(text="x" * 201), "text"),
    ],
)
def test_bad_filters(f: SearchFilter, field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_filter(f)
    assert field_of(caught) == field
