"""USCC check characters (GB 32100-2015)."""

from __future__ import annotations

import pytest

from datapark_catalog.participants.uscc import InvalidUSCC, check_character, validate_uscc


def test_documented_example_validates() -> None:
    assert validate_uscc("914403001922038216") == "914403001922038216"
    assert check_character("91440300192203821") == "6"


def test_lower_case_is_normalised() -> None:
    assert validate_uscc(
        "91110105mA00000000"[:17] + check_character("91110105MA0000000")
    ).startswith("91110105MA")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("914403001922038217", "check character"),
        ("91440300192203821", "18 characters"),
        ("9144030019220382I6", "not allowed"),
        ("91ABCDEF1922038216", "division code"),
    ],
)
def test_invalid_codes_say_why(code: str, reason: str) -> None:
    with pytest.raises(InvalidUSCC, match=reason):
        validate_uscc(code)
