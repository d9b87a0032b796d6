"""Keys of the per-unit advisory locks that serialise writers of ``unit_reservations``."""

from __future__ import annotations

import uuid

from datapark_eventing.relay import advisory_lock_key
from datapark_rental.bookings.repository import UNIT_LOCK_SPACE, unit_lock_key


def test_a_units_key_is_its_uuids_low_32_bits_as_a_signed_int4() -> None:
    assert unit_lock_key(uuid.UUID("0192f7a0-0000-7000-8000-0000000000ff")) == 255
    assert unit_lock_key(uuid.UUID(int=0xFFFFFFFF)) == -1
    assert unit_lock_key(uuid.UUID(int=0x7FFFFFFF)) == 2**31 - 1


def test_the_unit_lock_space_is_an_int4_apart_from_the_relays_bigint_keys() -> None:
    # Two-int4 advisory locks never meet one-bigint locks in Postgres; the space is an int4.
    assert 0 < UNIT_LOCK_SPACE < 2**31
    assert -(2**63) <= advisory_lock_key("rental") < 2**63
