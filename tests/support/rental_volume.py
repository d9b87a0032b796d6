"""Generated rental bookings for volume tests and the scaling bench: rows ``first``..``last``,
one customer in a thousand, one lessor in fifty, one offering and unit in five hundred, each a
closed eight-hour booking on its own day after ``epoch``."""

from __future__ import annotations

from sqlalchemy import text

GENERATED_BOOKINGS = text(
    """
    INSERT INTO rental.bookings (
        id, offering_id, customer_participant_id, lessor_participant_id, mode, category,
        kit_id, unit_ids, start, "end", reserved_from, reserved_until, status, overdue,
        expires_at, price_lines, rental_price, deposit, late_fee, damage_charges,
        cancellation_fee, deposit_refund, balance_due, checked_out_at, returned_at, version,
        created_at, updated_at)
    SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
           ('00000000-0000-7000-b000-' || lpad(to_hex(g % 500), 12, '0'))::uuid,
           ('00000000-0000-7000-9000-' || lpad(to_hex(g % 1000), 12, '0'))::uuid,
           ('00000000-0000-7000-a000-' || lpad(to_hex(g % 50), 12, '0'))::uuid,
           'short_term', 'humanoid', NULL,
           ARRAY[('00000000-0000-7000-c000-' || lpad(to_hex(g % 500), 12, '0'))::uuid],
           t0 + make_interval(days => g), t0 + make_interval(days => g, hours => 8),
           t0 + make_interval(days => g), t0 + make_interval(days => g, hours => 9),
           'closed', false, t0, '[]'::jsonb, 800.00, 0, 0, 0, 0, 0, 0, NULL, NULL, 1, t0, t0
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g,
         CAST(:epoch AS timestamptz) AS t0
    """
)
