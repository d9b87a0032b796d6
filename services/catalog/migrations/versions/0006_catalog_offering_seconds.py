"""rental offerings count their durations in seconds (the HTTP language of issue #13), a
robot model's fractional specs are decimal strings, a participant's group is a code

Revision ID: 0006_catalog_offering_seconds
Revises: 0005_catalog_audit_reader
Create Date: 2026-11-30 15:00:00

The four duration columns ``*_minutes`` become ``*_seconds`` (values times 60), each checked to
be a whole number of minutes (``catalog.listings.v1`` still publishes minutes); the stored
cancellation tiers' ``notice_minutes`` become ``notice_seconds``. A model's specs that were JSON
numbers with a fraction become decimal strings (``10.5`` -> ``"10.5"``); whole numbers stay.
``participants.group_id`` is ``group_code``: the corporate group is a code that is not ours
(the participant events still call it ``group_id``).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_catalog_offering_seconds"
down_revision: str | None = "0005_catalog_audit_reader"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DURATIONS = ("min_duration", "max_duration", "turnaround_before", "turnaround_after")

TO_SECONDS = """
UPDATE catalog.rental_offerings SET
    min_duration_seconds = min_duration_seconds * 60,
    max_duration_seconds = max_duration_seconds * 60,
    turnaround_before_seconds = turnaround_before_seconds * 60,
    turnaround_after_seconds = turnaround_after_seconds * 60,
    cancellation_policy = COALESCE((
        SELECT jsonb_agg(jsonb_build_object(
            'notice_seconds', (tier->>'notice_minutes')::integer * 60,
            'fee_rate', tier->'fee_rate'))
        FROM jsonb_array_elements(cancellation_policy) AS tier), '[]'::jsonb)
"""
TO_MINUTES = """
UPDATE catalog.rental_offerings SET
    min_duration_minutes = min_duration_minutes / 60,
    max_duration_minutes = max_duration_minutes / 60,
    turnaround_before_minutes = turnaround_before_minutes / 60,
    turnaround_after_minutes = turnaround_after_minutes / 60,
    cancellation_policy = COALESCE((
        SELECT jsonb_agg(jsonb_build_object(
            'notice_minutes', (tier->>'notice_seconds')::integer / 60,
            'fee_rate', tier->'fee_rate'))
        FROM jsonb_array_elements(cancellation_policy) AS tier), '[]'::jsonb)
"""
SPECS_AS_STRINGS = """
UPDATE catalog.robot_models SET specs = (
    SELECT jsonb_object_agg(key, CASE
        WHEN jsonb_typeof(value) = 'number' AND value::text ~ '[.eE]' THEN to_jsonb(value::text)
        ELSE value END)
    FROM jsonb_each(specs))
WHERE specs <> '{}'::jsonb
"""


def _rename(old: str, new: str) -> None:
    op.drop_constraint(
        op.f("ck_rental_offerings_max_duration"), "rental_offerings", schema="catalog"
    )
    op.drop_constraint(
        op.f("ck_rental_offerings_min_duration"), "rental_offerings", schema="catalog"
    )
    for name in DURATIONS:
        op.alter_column(
            "rental_offerings", f"{name}_{old}", new_column_name=f"{name}_{new}", schema="catalog"
        )


def upgrade() -> None:
    op.alter_column("participants", "group_id", new_column_name="group_code", schema="catalog")
    _rename("minutes", "seconds")
    op.execute(TO_SECONDS)
    op.create_check_constraint(
        op.f("ck_rental_offerings_min_duration"),
        "rental_offerings",
        "min_duration_seconds > 0 AND min_duration_seconds % 60 = 0",
        schema="catalog",
    )
    op.create_check_constraint(
        op.f("ck_rental_offerings_max_duration"),
        "rental_offerings",
        "max_duration_seconds IS NULL OR (max_duration_seconds >= min_duration_seconds"
        " AND max_duration_seconds % 60 = 0)",
        schema="catalog",
    )
    op.create_check_constraint(
        op.f("ck_rental_offerings_turnaround_whole_minutes"),
        "rental_offerings",
        "turnaround_before_seconds % 60 = 0 AND turnaround_after_seconds % 60 = 0",
        schema="catalog",
    )
    op.execute(SPECS_AS_STRINGS)


def downgrade() -> None:
    op.alter_column("participants", "group_code", new_column_name="group_id", schema="catalog")
    op.drop_constraint(
        op.f("ck_rental_offerings_turnaround_whole_minutes"), "rental_offerings", schema="catalog"
    )
    _rename("seconds", "minutes")
    op.execute(TO_MINUTES)
    op.create_check_constraint(
        op.f("ck_rental_offerings_min_duration"),
        "rental_offerings",
        "min_duration_minutes > 0",
        schema="catalog",
    )
    op.create_check_constraint(
        op.f("ck_rental_offerings_max_duration"),
        "rental_offerings",
        "max_duration_minutes IS NULL OR max_duration_minutes >= min_duration_minutes",
        schema="catalog",
    )
